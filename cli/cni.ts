// Owns `palisade cni install|uninstall`: the plugin binary into the CNI bin dir and a conflist
// (bridge + host-local, then palisade) into the CNI conf dir, and taking exactly those away.
import { resolve } from "node:path";
import {
  CONFLIST_PRIORITY,
  checkNetworkOptions,
  NETWORK_DEFAULTS,
  type NetworkOptions,
} from "../cni/conflist.ts";
import {
  CniInstallError,
  type CniPlacement,
  DEFAULT_CONF_DIR,
  defaultBinDir,
  installCni,
  PLUGIN_BUILD_PATH,
  uninstallCni,
} from "../cni/install.ts";
import { defineCommand, EXIT_OK, type FlagSpec } from "./command.ts";
import { CliError } from "./failure.ts";
import { type ParsedFlags, requireValue, UsageError } from "./flags.ts";
import { defineGroup } from "./group.ts";
import { type Io, workingDirectory } from "./io.ts";

export interface CniDeps {
  /** The built plugin that install copies. */
  pluginBuild: string;
  defaultBinDir(): string;
}

const cniFlags: FlagSpec[] = [
  {
    name: "bin-dir",
    type: "string",
    valueName: "DIR",
    description: "CNI plugin directory; the plugin is installed there as `palisade`",
    defaultText: "/usr/lib/cni when it exists, else /opt/cni/bin",
  },
  {
    name: "conf-dir",
    type: "string",
    valueName: "DIR",
    description: "CNI network configuration directory",
    default: DEFAULT_CONF_DIR,
  },
  {
    name: "network",
    type: "string",
    valueName: "NAME",
    description: `CNI network name; the file is <conf-dir>/${CONFLIST_PRIORITY}-<network>.conflist`,
    default: NETWORK_DEFAULTS.network,
  },
  {
    name: "subnet",
    type: "string",
    valueName: "CIDR",
    description: "pod addresses (host-local); the bridge takes the first one",
    default: NETWORK_DEFAULTS.subnet,
  },
  {
    name: "bridge",
    type: "string",
    valueName: "NAME",
    description: "bridge interface",
    default: NETWORK_DEFAULTS.bridge,
  },
  {
    name: "namespace",
    type: "string",
    valueName: "NS",
    description: "Palisade namespace of containers without a palisade.dev/namespace label",
    default: NETWORK_DEFAULTS.namespace,
  },
  {
    name: "agent-socket",
    type: "string",
    valueName: "PATH",
    description: "the agent's CNI socket (palisade agent --cni-socket)",
    default: NETWORK_DEFAULTS.agentSocket,
  },
];

/** The flags as checked options and resolved directories; a usage error names a bad flag. */
function readFlags(
  parsed: ParsedFlags,
  io: Io,
  deps: CniDeps,
): { placement: CniPlacement; options: NetworkOptions } {
  const options: NetworkOptions = {
    network: requireValue(parsed, "network"),
    subnet: requireValue(parsed, "subnet"),
    bridge: requireValue(parsed, "bridge"),
    namespace: requireValue(parsed, "namespace"),
    agentSocket: requireValue(parsed, "agent-socket"),
  };
  const [problem] = checkNetworkOptions(options);
  if (problem) throw new UsageError(problem.message);
  const cwd = workingDirectory(io);
  return {
    placement: {
      binDir: resolve(cwd, parsed.values["bin-dir"] ?? deps.defaultBinDir()),
      confDir: resolve(cwd, requireValue(parsed, "conf-dir")),
      pluginBuild: deps.pluginBuild,
    },
    options,
  };
}

/** Install refusals are the operator's to resolve: print them without a stack trace. */
function asCliError<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof CniInstallError) throw new CliError(error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
      throw new CliError(`${(error as Error).message} (run as root, or choose --bin-dir and --conf-dir)`);
    }
    throw error;
  }
}

export function createCniCommand(deps: CniDeps) {
  const install = defineCommand(
    {
      path: "cni install",
      summary: "install the CNI plugin and a network configuration (bridge + host-local + palisade)",
      args: [],
      flags: cniFlags,
      description: [
        "Copies the plugin built by `npm run build:cni` into --bin-dir as `palisade` and writes",
        `<conf-dir>/${CONFLIST_PRIORITY}-<network>.conflist: a bridge with the gateway address, host-local`,
        "addresses from --subnet with no default route, then the palisade plugin, which hands each",
        "pod to the agent at --agent-socket. Both files are written atomically. Files it did not",
        "write are never overwritten; running it again for the same --network updates both.",
      ].join("\n"),
      sections: [
        {
          title: "Examples",
          lines: [
            "palisade cni install",
            "palisade cni install --network shop --subnet 10.222.1.0/24 --bridge shop0 --namespace shop",
            'podman run --network palisade ...   (podman with network_backend = "cni")',
          ],
        },
      ],
    },
    async (parsed, _env, io) => {
      const { placement, options } = readFlags(parsed, io, deps);
      const result = asCliError(() => installCni(placement, options));
      const verb = (replaced: boolean) => (replaced ? "updated" : "installed");
      io.stdout.write(
        `${verb(result.replaced.binary)} the CNI plugin: ${result.binary}\n` +
          `${verb(result.replaced.conflist)} network ${options.network}: ${result.conflist}\n` +
          `  bridge ${options.bridge}, subnet ${options.subnet}, namespace ${options.namespace}, ` +
          `agent socket ${options.agentSocket}\n`,
      );
      return EXIT_OK;
    },
  );

  const uninstall = defineCommand(
    {
      path: "cni uninstall",
      summary: "remove what `palisade cni install` wrote (with the same flags)",
      args: [],
      flags: cniFlags,
      description: [
        "Removes the conflist of --network when it carries the mark install writes, and the plugin",
        "in --bin-dir when it is the palisade plugin and no other network installed by palisade in",
        "--conf-dir still uses it. Anything else is left in place and named.",
      ].join("\n"),
    },
    async (parsed, _env, io) => {
      const { placement, options } = readFlags(parsed, io, deps);
      const result = asCliError(() => uninstallCni(placement, options.network));
      for (const path of result.removed) io.stdout.write(`removed ${path}\n`);
      for (const path of result.absent) io.stdout.write(`not found (nothing to remove): ${path}\n`);
      for (const { path, why } of result.kept) io.stderr.write(`left ${path}: ${why}\n`);
      return EXIT_OK;
    },
  );

  return defineGroup(
    {
      path: "cni",
      summary: "install or remove the palisade CNI plugin and its network configuration",
      description:
        "The plugin makes containers started by containerd (CRI) or podman (CNI backend) Palisade\nendpoints: it runs after bridge + host-local and hands each pod to the node agent.",
    },
    [install, uninstall],
  );
}

export const cniCommand = createCniCommand({
  pluginBuild: PLUGIN_BUILD_PATH,
  defaultBinDir: () => defaultBinDir(),
});
