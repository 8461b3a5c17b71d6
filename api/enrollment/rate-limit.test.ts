import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../lib/testing/manual-clock.ts";
import { FailureLimiter } from "./rate-limit.ts";

/** Spends a client's whole burst so it is locked out. */
function lockOut(limiter: FailureLimiter, client: string, burst: number) {
  for (let i = 0; i < burst; i++) limiter.fail(client);
  assert.equal(limiter.allowed(client), false, `${client} is locked out`);
}

describe("enrollment failure limiter", () => {
  it("an address spray of failures does not reset the lockout of an address that keeps trying", () => {
    const limiter = new FailureLimiter(10, 10, new ManualClock(0));
    lockOut(limiter, "198.51.100.7", 10);
    for (let i = 0; i < 30_000; i++) {
      limiter.fail(`2001:db8::${i.toString(16)}`);
      if (i % 1000 === 0) limiter.fail("198.51.100.7");
    }
    assert.equal(limiter.allowed("198.51.100.7"), false);
  });

  it("requests that do not fail take no place in the table, so they cannot reset a lockout", () => {
    const limiter = new FailureLimiter(10, 10, new ManualClock(0));
    lockOut(limiter, "198.51.100.7", 10);
    for (let i = 0; i < 30_000; i++) assert.equal(limiter.allowed(`2001:db8::${i.toString(16)}`), true);
    assert.equal(limiter.size, 1);
    assert.equal(limiter.allowed("198.51.100.7"), false);
  });

  it("evicts the least recently seen address first when the table is full", () => {
    const limiter = new FailureLimiter(2, 1, new ManualClock(0), 3);
    lockOut(limiter, "a", 2);
    lockOut(limiter, "b", 2);
    lockOut(limiter, "c", 2);
    assert.equal(limiter.allowed("a"), false, "seeing a again makes b the least recently seen");
    limiter.fail("d");
    assert.equal(limiter.size, 3);
    assert.equal(limiter.allowed("b"), true, "b was evicted");
    assert.equal(limiter.allowed("a"), false);
    assert.equal(limiter.allowed("c"), false);
  });

  it("refills over time and forgets an address whose bucket is full again", () => {
    const clock = new ManualClock(0);
    const limiter = new FailureLimiter(10, 10, clock);
    lockOut(limiter, "a", 10);
    clock.advance(6_000);
    assert.equal(limiter.allowed("a"), true, "one failure refilled after 6 s");
    clock.advance(60_000);
    assert.equal(limiter.allowed("a"), true);
    assert.equal(limiter.size, 0);
  });
});
