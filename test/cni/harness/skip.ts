// Owns why the real-runtime CNI suites cannot run here (stated, never silent): not root, or a
// runtime binary missing. As root with scripts/install-system-deps.sh applied (CI) they always run.
import { existsSync } from "node:fs";
import { BUSYBOX } from "./image.ts";
import { SYSTEM_CNI_DIR } from "./run-dirs.ts";

const onPath = (bin: string) =>
  (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin")
    .split(":")
    .some((dir) => dir && existsSync(`${dir}/${bin}`));

const COMMON = ["ip", "nsenter", "tar"];
const RUNTIME_BINS = { containerd: ["containerd", "ctr", "runc"], podman: ["podman", "runc"] } as const;

export function cniSkipReason(runtime: keyof typeof RUNTIME_BINS): string | undefined {
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    return "the real-runtime CNI suites need root (runtimes, network namespaces)";
  const missing = [...COMMON, ...RUNTIME_BINS[runtime]].filter((b) => !onPath(b));
  for (const file of [BUSYBOX, ...["bridge", "host-local", "loopback"].map((p) => `${SYSTEM_CNI_DIR}/${p}`)])
    if (!existsSync(file)) missing.push(file);
  if (missing.length > 0)
    return `${runtime} suite: missing ${missing.join(", ")} (run scripts/install-system-deps.sh)`;
  return undefined;
}
