// Owns a CNI test run's private directories: a temp root holding the CNI bin dir (links to the
// Debian reference plugins, so a test can drop the palisade plugin next to them), the conf dir the
// runtime reads (never the system's /etc/cni/net.d), and host-local's data dir. Removed at the end.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPrefix } from "../../../lib/netns/names.ts";
import { onCleanup } from "../../e2e/harness/cleanup.ts";
import { unmountUnder } from "./host-state.ts";

/** Where Debian's containernetworking-plugins puts the reference plugins. */
export const SYSTEM_CNI_DIR = "/usr/lib/cni";
const LINKED_PLUGINS = ["bridge", "host-local", "loopback"];

export interface RunDirs {
  /** Short per-run name prefix (`pc...`), also used for bridges: ifnames are at most 15 chars. */
  prefix: string;
  root: string;
  binDir: string;
  confDir: string;
  /** host-local's `dataDir`: one subdirectory per network, one file per allocated address. */
  ipamDir: string;
  /** Removes everything (unmounting first); also runs at process exit. Idempotent. */
  remove(): void;
}

export function createRunDirs(tag = "c"): RunDirs {
  const prefix = runPrefix(tag);
  const root = mkdtempSync(join(tmpdir(), `palisade-cni-${prefix}-`));
  const dirs = {
    prefix,
    root,
    binDir: join(root, "bin"),
    confDir: join(root, "net.d"),
    ipamDir: join(root, "ipam"),
  };
  for (const d of [dirs.binDir, dirs.confDir, dirs.ipamDir]) mkdirSync(d);
  for (const p of LINKED_PLUGINS) symlinkSync(join(SYSTEM_CNI_DIR, p), join(dirs.binDir, p));
  const remove = onCleanup(`cni run dirs ${root}`, () => {
    unmountUnder(root);
    rmSync(root, { recursive: true, force: true });
  });
  return { ...dirs, remove };
}

/** A subdirectory of the run root (created), e.g. for a runtime's own root and state. */
export function subdir(dirs: RunDirs, ...parts: string[]): string {
  const d = join(dirs.root, ...parts);
  mkdirSync(d, { recursive: true });
  return d;
}
