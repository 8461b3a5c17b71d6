// The model's drop-event token bucket (twin of pal_event_take_token).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenBucket } from "./token-bucket.ts";

const S = 1_000_000_000n;

describe("event token bucket", () => {
  it("gives a full burst, then refills at the configured rate", () => {
    const b = new TokenBucket({ eventRate: 2, eventBurst: 3 });
    const at = 100n * S;
    assert.deepEqual(
      [1, 2, 3, 4].map(() => b.take(at)),
      [true, true, true, false],
    );
    assert.equal(b.take(at + S / 4n), false, "half a token after 250 ms at 2/s");
    assert.equal(b.take(at + S / 2n), true, "one token after 500 ms");
    assert.equal(b.take(at + S / 2n), false);
  });

  it("a rate of zero turns events off", () => {
    const b = new TokenBucket({ eventRate: 0, eventBurst: 10 });
    assert.equal(b.take(100n * S), false);
  });
});
