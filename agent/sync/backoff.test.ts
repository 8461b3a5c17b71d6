// Tests of the reconnect backoff: growth, cap and jitter.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelay } from "./backoff.ts";

describe("reconnect backoff", () => {
  it("doubles from the initial delay and stops growing at the maximum", () => {
    const fixed = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, fixed)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it("jitter takes a random share off each delay, within the stated fraction", () => {
    const opts = { initialMs: 1000, maxMs: 10_000, factor: 2, jitter: 0.5 };
    assert.equal(
      backoffDelay(0, opts, () => 0),
      1000,
    );
    assert.equal(
      backoffDelay(0, opts, () => 0.999999),
      500,
    );
    assert.equal(
      backoffDelay(1, opts, () => 0.5),
      1500,
    );
  });
});
