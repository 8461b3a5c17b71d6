// Owns kernel feature probes, each with a named result, probed once per process.
import { MAP_TYPE } from "./map.ts";
import { native } from "./native.ts";

export interface Features {
  /** tcx links (BPF_TCX_INGRESS/EGRESS, kernel 6.6+). */
  tcx: boolean;
  /** BPF_MAP_UPDATE_BATCH / DELETE_BATCH on hash maps. */
  batchOps: boolean;
  /** Batch ops on LPM tries (ipcache, policy). */
  lpmBatchOps: boolean;
  /** BPF_MAP_TYPE_RINGBUF (kernel 5.8+). */
  ringBuffer: boolean;
}

let cached: Features | undefined;

export function probeFeatures(): Features {
  if (cached) return cached;
  const n = native();
  cached = {
    tcx: n.probeTcx(),
    batchOps: n.probeBatch(MAP_TYPE.HASH),
    lpmBatchOps: n.probeBatch(MAP_TYPE.LPM_TRIE),
    ringBuffer: n.probeRingbuf(),
  };
  return cached;
}

/**
 * Why kernel tests cannot run here (not root), or undefined when they must run. A missing addon
 * is not a reason to skip: as root the tests run and fail with ERR_BPF_ADDON_MISSING.
 */
export function kernelTestSkipReason(): string | undefined {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "kernel tests need root";
  return undefined;
}

/** Skip reason for tests that need tcx links: not root, or a kernel without tcx. */
export function tcxSkipReason(): string | undefined {
  return kernelTestSkipReason() ?? (probeFeatures().tcx ? undefined : "kernel without tcx links (6.6+)");
}
