// Owns the files `palisade cni install` puts on a host and takes away again: the plugin binary in
// the CNI bin dir and the conflist in the CNI conf dir. It overwrites or removes only what it
// recognises as its own (the marker compiled into the binary, the mark in the conflist), and it
// checks everything before writing anything, so a refusal leaves the host as it was.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  conflistFileName,
  isOurConflist,
  type NetworkOptions,
  networkNameOf,
  renderConflist,
} from "./conflist.ts";

/** The same string as `palisade_cni_marker` in cni/plugin/palisade.c (a test checks the binary). */
export const PLUGIN_MARKER = "palisade.dev/cni-plugin: forwards CNI to the palisade agent";
/** Where cni/build.mjs writes the plugin. */
export const PLUGIN_BUILD_PATH = join(dirname(fileURLToPath(import.meta.url)), "build", "palisade");
/** The runtime execs the plugin named by the conflist's `type`, looked up in the bin dir. */
export const PLUGIN_FILE_NAME = "palisade";
/** Where containerd, CRI-O and podman read CNI network configurations by default. */
export const DEFAULT_CONF_DIR = "/etc/cni/net.d";

/** Debian's containernetworking-plugins use /usr/lib/cni; upstream and most runtimes /opt/cni/bin. */
export function defaultBinDir(exists: (path: string) => boolean = existsSync): string {
  return exists("/usr/lib/cni") ? "/usr/lib/cni" : "/opt/cni/bin";
}

/** A refusal or failure with a message for the operator (the CLI prints it, exit 1). */
export class CniInstallError extends Error {
  override name = "CniInstallError";
}

export interface CniPlacement {
  binDir: string;
  confDir: string;
  /** The built plugin to copy (default PLUGIN_BUILD_PATH). */
  pluginBuild?: string;
}

export interface InstallResult {
  binary: string;
  conflist: string;
  /** True when a file of ours was already there and got replaced. */
  replaced: { binary: boolean; conflist: boolean };
}

export function isOurBinary(bytes: Buffer): boolean {
  return bytes.includes(PLUGIN_MARKER);
}

function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Temp file in the same directory, then rename: a runtime never execs or parses half a file. */
function writeAtomically(path: string, data: string | Buffer, mode: number): void {
  const temporary = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    writeFileSync(temporary, data, { mode });
    chmodSync(temporary, mode); // the umask may have taken bits away
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** CNI configuration files of a conf dir other than `except`, with their text. */
function otherConfigs(confDir: string, except: string): { path: string; text: string }[] {
  if (!existsSync(confDir)) return [];
  return readdirSync(confDir)
    .filter((name) => /\.(conflist|conf|json)$/.test(name) && join(confDir, name) !== except)
    .map((name) => join(confDir, name))
    .flatMap((path) => {
      const bytes = readIfExists(path);
      return bytes ? [{ path, text: bytes.toString("utf8") }] : [];
    });
}

export function installCni(placement: CniPlacement, options: NetworkOptions): InstallResult {
  const build = placement.pluginBuild ?? PLUGIN_BUILD_PATH;
  const plugin = readIfExists(build);
  if (!plugin)
    throw new CniInstallError(`the CNI plugin is not built (no ${build}): run \`npm run build:cni\``);
  if (!isOurBinary(plugin)) {
    throw new CniInstallError(`${build} is not the palisade CNI plugin: run \`npm run build:cni\``);
  }
  const binary = join(placement.binDir, PLUGIN_FILE_NAME);
  const installed = readIfExists(binary);
  if (installed && !isOurBinary(installed)) {
    throw new CniInstallError(`${binary} exists and is not the palisade CNI plugin; left as it is`);
  }
  const conflist = join(placement.confDir, conflistFileName(options.network));
  const written = readIfExists(conflist);
  if (written && !isOurConflist(written.toString("utf8"))) {
    throw new CniInstallError(
      `${conflist} exists and was not written by palisade cni install; left as it is`,
    );
  }
  // Two files defining one network name: runtimes would pick either.
  const clash = otherConfigs(placement.confDir, conflist).find(
    (c) => networkNameOf(c.text) === options.network,
  );
  if (clash) {
    throw new CniInstallError(
      `network ${JSON.stringify(options.network)} is already defined in ${clash.path}`,
    );
  }
  mkdirSync(placement.binDir, { recursive: true });
  mkdirSync(placement.confDir, { recursive: true });
  writeAtomically(binary, plugin, 0o755);
  writeAtomically(conflist, renderConflist(options), 0o644);
  return { binary, conflist, replaced: { binary: installed !== undefined, conflist: written !== undefined } };
}

export interface UninstallResult {
  removed: string[];
  /** Files found but left in place, with the reason. */
  kept: { path: string; why: string }[];
  absent: string[];
}

export function uninstallCni(placement: CniPlacement, network: string): UninstallResult {
  const result: UninstallResult = { removed: [], kept: [], absent: [] };
  const conflist = join(placement.confDir, conflistFileName(network));
  const written = readIfExists(conflist);
  if (!written) result.absent.push(conflist);
  else if (!isOurConflist(written.toString("utf8"))) {
    result.kept.push({ path: conflist, why: "not written by palisade cni install" });
  } else {
    unlinkSync(conflist);
    result.removed.push(conflist);
  }

  const binary = join(placement.binDir, PLUGIN_FILE_NAME);
  const installed = readIfExists(binary);
  // Another network installed by us still names the plugin: keep it for that one.
  const users = otherConfigs(placement.confDir, conflist).filter((c) => isOurConflist(c.text));
  if (!installed) result.absent.push(binary);
  else if (!isOurBinary(installed)) result.kept.push({ path: binary, why: "not the palisade CNI plugin" });
  else if (users.length > 0) {
    result.kept.push({ path: binary, why: `still used by ${users.map((u) => u.path).join(", ")}` });
  } else {
    unlinkSync(binary);
    result.removed.push(binary);
  }
  return result;
}
