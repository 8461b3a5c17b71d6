// Tests of the reconnect backoff: growth, caps and jitter.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLOSE } from "../../wire/sync.ts";
import { backoffDelay, DEFAULT_BACKOFF, isRefusal } from "./backoff.ts";

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

  it("an unreachable control plane is retried within 5 s at most, a refusal backs off to 30 s", () => {
    const late = 20; // attempts long past the growth
    assert.equal(
      backoffDelay(late, {}, () => 0),
      5_000,
    );
    assert.equal(
      backoffDelay(late, {}, () => 0, true),
      30_000,
    );
    // The first retries are the same either way.
    assert.equal(
      backoffDelay(0, {}, () => 0, true),
      DEFAULT_BACKOFF.initialMs,
    );
    // A refusal cap below maxMs is raised to it (a test tuning only maxMs keeps one cap).
    assert.equal(
      backoffDelay(late, { maxMs: 200, refusedMaxMs: 100 }, () => 0, true),
      200,
    );
  });

  it("HTTP answers, a revoked credential, a protocol error, an oversized message and a replaced stream are refusals", () => {
    for (const code of [401, 403, 404, 503, CLOSE.REVOKED, CLOSE.PROTOCOL, CLOSE.TOO_BIG, CLOSE.REPLACED])
      assert.equal(isRefusal(code), true, String(code));
    // The stream lost, the server going away, heartbeats stopped: the control plane may be back soon.
    for (const code of [1000, 1006, CLOSE.GOING_AWAY, CLOSE.TIMEOUT])
      assert.equal(isRefusal(code), false, String(code));
  });
});
