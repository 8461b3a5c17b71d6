// Owns bpffs checks: pins only work on a mounted BPF filesystem.
import { spawnSync } from "node:child_process";
import { statfsSync } from "node:fs";
import { bpfError } from "./errors.ts";

const BPF_FS_MAGIC = 0xcafe4a11;

export function isBpffs(path: string): boolean {
  try {
    return statfsSync(path).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** Throws ERR_BPF_INVALID unless `dir` is on a BPF filesystem. */
export function checkBpffs(dir: string): void {
  if (!isBpffs(dir)) {
    throw bpfError(
      "ERR_BPF_INVALID",
      `pin directory ${dir} is not on a BPF filesystem (mount -t bpf bpf /sys/fs/bpf)`,
    );
  }
}

/** Mounts bpffs at `mountPoint` when nothing is mounted there (needs root). */
export function ensureBpffsMounted(mountPoint = "/sys/fs/bpf"): void {
  if (isBpffs(mountPoint)) return;
  const r = spawnSync("mount", ["-t", "bpf", "bpf", mountPoint], { encoding: "utf8" });
  if (r.status !== 0 || !isBpffs(mountPoint)) {
    throw bpfError(
      "ERR_BPF_PERMISSION",
      `cannot mount bpffs at ${mountPoint}: ${r.stderr?.trim() || `exit ${r.status}`}`,
    );
  }
}
