import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { denyAll, namespace, subscribe, TestReceiver, webhookTestApp } from "../testing.ts";
import { RETRY_DELAYS_MS } from "./schedule.ts";

describe("retries", () => {
  it("retries a failing receiver on the backoff schedule with jitter, then marks the delivery failed", async () => {
    const failing = await TestReceiver.start(() => ({ status: 500, body: "boom" }));
    const jitter = [0, 0.999, 0.5];
    let i = 0;
    const t = webhookTestApp({ random: () => jitter[i++ % jitter.length]! });
    const { id } = await subscribe(t, failing.url, ["policy.created"]);
    await t.call("POST", "/v1/apply", [namespace("a"), denyAll("a", "p")]);
    const start = t.clock.now();
    await t.deps.webhooks.worker.tick();
    assert.equal(failing.received.length, 1);
    for (const [n, delay] of RETRY_DELAYS_MS.entries()) {
      const log = await t.call("GET", `/v1/webhooks/${id}/deliveries`);
      const d = log.body.items[0];
      assert.equal(d.status, "pending");
      const next = Date.parse(d.nextAttemptAt) - t.clock.now();
      const factor = 0.8 + 0.4 * jitter[n % 3]!;
      assert.ok(
        Math.abs(next - delay * factor) <= 1,
        `attempt ${n + 2} after ${next} ms, wanted ${delay} * ${factor}`,
      );
      t.clock.advance(next - 1);
      await t.deps.webhooks.worker.tick();
      assert.equal(failing.received.length, n + 1, "not before it is due");
      t.clock.advance(1);
      await t.deps.webhooks.worker.tick();
      assert.equal(failing.received.length, n + 2);
    }
    const done = (await t.call("GET", `/v1/webhooks/${id}/deliveries`)).body.items[0];
    assert.equal(done.status, "failed");
    assert.equal(done.nextAttemptAt, null);
    assert.equal(done.attempts.length, RETRY_DELAYS_MS.length + 1);
    assert.deepEqual(new Set(done.attempts.map((a: { statusCode: number }) => a.statusCode)), new Set([500]));
    assert.equal(done.attempts[0].response, "boom");
    const days = (t.clock.now() - start) / 86_400_000;
    assert.ok(days > 2.5 && days < 3.5, `the schedule spans ${days.toFixed(2)} days`);
    assert.equal(new Set(failing.distinctIds()).size, 1, "every attempt carries the same webhook-id");
    await failing.close();
  });

  it("delivers on a later attempt once the receiver recovers, and the log shows each attempt", async () => {
    const flaky = await TestReceiver.start((_r, n) => ({ status: n < 3 ? 503 : 204 }));
    const t = webhookTestApp();
    const { id } = await subscribe(t, flaky.url, ["policy.created"]);
    await t.call("POST", "/v1/apply", [namespace("a"), denyAll("a", "p")]);
    for (let k = 0; k < 3; k++) {
      await t.deps.webhooks.worker.tick();
      t.clock.advance(24 * 3_600_000);
    }
    const d = (await t.call("GET", `/v1/webhooks/${id}/deliveries`)).body.items[0];
    assert.equal(d.status, "succeeded");
    assert.deepEqual(
      d.attempts.map((a: { statusCode: number }) => a.statusCode),
      [503, 503, 204],
    );
    assert.ok(d.attempts.every((a: { durationMs: number }) => a.durationMs >= 0));
    assert.ok(d.completedAt);
    await flaky.close();
  });

  it("a 410 Gone disables the subscription and stops its deliveries", async () => {
    const gone = await TestReceiver.start(() => ({ status: 410 }));
    const t = webhookTestApp();
    const { id } = await subscribe(t, gone.url, ["policy.created"]);
    await t.call("POST", "/v1/apply", [namespace("a"), denyAll("a", "p"), denyAll("a", "q")]);
    await t.deps.webhooks.worker.tick();
    const sub = (await t.call("GET", `/v1/webhooks/${id}`)).body;
    assert.equal(sub.enabled, false);
    assert.match(sub.disabledReason, /410 Gone/);
    const seen = gone.received.length;
    t.clock.advance(7 * 86_400_000);
    await t.call("POST", "/v1/apply", [denyAll("a", "r")]);
    await t.deps.webhooks.worker.tick();
    assert.equal(gone.received.length, seen, "nothing more is sent to a disabled subscription");
    assert.ok(seen <= 2);
    await gone.close();
  });

  it("bounds an attempt by its timeout and the answer it reads", async () => {
    const hanging = await TestReceiver.start(() => ({ status: 200, delayMs: 2000 }));
    const chatty = await TestReceiver.start(() => ({ status: 200, body: "x".repeat(200_000) }));
    const t = webhookTestApp({ worker: { timeoutMs: 200, maxResponseBytes: 1000 } });
    const slow = await subscribe(t, hanging.url, ["policy.created"]);
    const big = await subscribe(t, chatty.url, ["policy.created"]);
    await t.call("POST", "/v1/apply", [namespace("a"), denyAll("a", "p")]);
    const started = Date.now();
    await t.deps.webhooks.worker.tick();
    assert.ok(Date.now() - started < 1500, "the hanging receiver was cut off");
    const timedOut = (await t.call("GET", `/v1/webhooks/${slow.id}/deliveries`)).body.items[0];
    assert.match(timedOut.attempts[0].error, /no complete answer within 200 ms/);
    assert.equal(timedOut.status, "pending");
    const read = (await t.call("GET", `/v1/webhooks/${big.id}/deliveries`)).body.items[0];
    assert.equal(read.status, "succeeded");
    assert.ok(read.attempts[0].response.length <= 1000);
    await hanging.close();
    await chatty.close();
  });
});
