// Owns podman for the CNI tests: every call runs with our containers.conf (CNI backend on the
// run's plugin and conf dirs, runc, cgroupfs, file events) and our own --root/--runroot, so it
// never touches the system's storage or /etc/cni/net.d. Teardown removes every container, then
// unmounts and deletes the storage.
import { execFile, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { onCleanup } from "../../e2e/harness/cleanup.ts";
import { unmountUnder } from "./host-state.ts";
import { IMAGE_REF, imageTar } from "./image.ts";
import { type RunDirs, subdir } from "./run-dirs.ts";

const run = promisify(execFile);

export interface PodmanContainer {
  id: string;
  name: string;
  ip: string;
  /** The container's network namespace (`NetworkSettings.SandboxKey`, under /run/netns). */
  netns: string;
  pid: number;
  labels: Record<string, string>;
}

export interface RunSpec {
  name: string;
  network: string;
  labels?: Record<string, string>;
  /** Command replacing the image's `sleep` (e.g. ["sh", "-c", "..."]). */
  command?: string[];
}

export interface Podman {
  /** A script running podman with this harness's configuration (for the agent's `--podman`). */
  command: string;
  /** Milliseconds the image load took. */
  timings: { loadMs: number };
  run(spec: RunSpec): Promise<PodmanContainer>;
  inspect(name: string): Promise<PodmanContainer>;
  /** Names of the containers podman knows (all states). */
  list(): Promise<string[]>;
  rm(name: string): Promise<void>;
  /** Removes every container, then podman's storage; also runs at process exit. */
  stop(): Promise<void>;
}

function containersConf(dirs: RunDirs, tmp: string): string {
  const q = JSON.stringify;
  return `[network]
network_backend = "cni"
cni_plugin_dirs = [${q(dirs.binDir)}]
network_config_dir = ${q(dirs.confDir)}

[engine]
# crun fails here; systemd is not running.
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ${q(join(tmp, "events.log"))}
tmp_dir = ${q(tmp)}
`;
}

interface InspectJson {
  Id: string;
  Name: string;
  State: { Pid: number };
  Config: { Labels: Record<string, string> | null };
  NetworkSettings: { SandboxKey: string; Networks: Record<string, { IPAddress: string }> };
}

export async function startPodman(dirs: RunDirs): Promise<Podman> {
  const root = subdir(dirs, "podman", "root");
  const runroot = subdir(dirs, "podman", "runroot");
  const tmp = subdir(dirs, "podman", "tmp");
  const confPath = join(dirs.root, "podman", "containers.conf");
  writeFileSync(confPath, containersConf(dirs, tmp));
  const env = { ...process.env, CONTAINERS_CONF: confPath };
  const global = ["--root", root, "--runroot", runroot];
  const command = join(dirs.root, "podman", "podman.sh");
  writeFileSync(
    command,
    `#!/bin/sh\nCONTAINERS_CONF=${JSON.stringify(confPath)} exec podman ${global.map((a) => JSON.stringify(a)).join(" ")} "$@"\n`,
    { mode: 0o755 },
  );
  const podman = async (args: string[]): Promise<string> => {
    try {
      return (await run("podman", [...global, ...args], { env, maxBuffer: 16 << 20 })).stdout;
    } catch (e) {
      const err = e as { stderr?: string };
      throw new Error(`podman ${args.join(" ")} failed: ${(err.stderr ?? String(e)).trim()}`, { cause: e });
    }
  };
  const podmanSync = (args: string[]) => spawnSync("podman", [...global, ...args], { env, stdio: "ignore" });
  const hardStop = onCleanup(`podman ${root}`, () => {
    podmanSync(["rm", "-a", "-f", "-t", "0"]);
    unmountUnder(runroot);
    unmountUnder(root);
  });

  const inspect = async (name: string): Promise<PodmanContainer> => {
    const [c] = JSON.parse(await podman(["inspect", "--type", "container", name])) as InspectJson[];
    if (!c) throw new Error(`podman inspect ${name}: no such container`);
    const nets = Object.values(c.NetworkSettings.Networks ?? {});
    return {
      id: c.Id,
      name: c.Name,
      ip: nets[0]?.IPAddress ?? "",
      netns: c.NetworkSettings.SandboxKey,
      pid: c.State.Pid,
      labels: c.Config.Labels ?? {},
    };
  };

  const loadStart = Date.now();
  try {
    await podman(["load", "-q", "-i", imageTar()]);
  } catch (e) {
    hardStop();
    throw e;
  }
  const loadMs = Date.now() - loadStart;

  return {
    command,
    timings: { loadMs },
    inspect,
    async run(spec) {
      const labels = Object.entries(spec.labels ?? {}).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
      await podman([
        "run",
        "-d",
        "--network",
        spec.network,
        "--name",
        spec.name,
        ...labels,
        // Explicit lower rlimits, as issue 9 records for runc on this host.
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
        IMAGE_REF,
        ...(spec.command ?? []),
      ]);
      return inspect(spec.name);
    },
    async list() {
      return (await podman(["ps", "-a", "--format", "{{.Names}}"])).split("\n").filter(Boolean);
    },
    async rm(name) {
      await podman(["rm", "-f", "-t", "0", name]);
    },
    async stop() {
      hardStop();
    },
  };
}
