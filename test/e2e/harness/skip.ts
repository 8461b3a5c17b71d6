// Owns why the kernel end-to-end suites cannot run here (stated, never silent): not root, or the
// BPF objects not built. As root with the objects present they always run.
import { existsSync } from "node:fs";
import { POLICY_OBJECT } from "../../../bpf/lib/native.ts";

export function e2eSkipReason(): string | undefined {
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    return "the end-to-end kernel suites need root (network namespaces and BPF)";
  if (!existsSync(POLICY_OBJECT))
    return `the BPF objects are not built (${POLICY_OBJECT}; run npm run build:bpf)`;
  return undefined;
}
