// Kernel feature probes give named results that agree with the running kernel.
import assert from "node:assert/strict";
import { release } from "node:os";
import { describe, it } from "node:test";
import { kernelTestSkipReason, probeFeatures } from "./features.ts";

describe("feature probes", { skip: kernelTestSkipReason() }, () => {
  it("name tcx, batch ops and the ring buffer, and tcx agrees with the kernel version", () => {
    const f = probeFeatures();
    assert.deepEqual(Object.keys(f).sort(), ["batchOps", "lpmBatchOps", "ringBuffer", "tcx"]);
    const [major = 0, minor = 0] = release().split(".").map(Number);
    assert.equal(f.tcx, major > 6 || (major === 6 && minor >= 6));
    assert.equal(f.ringBuffer, major > 5 || (major === 5 && minor >= 8));
    if (f.lpmBatchOps) assert.equal(f.batchOps, true);
  });
});
