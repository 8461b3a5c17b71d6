import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { denyAll, namespace, subscribe, TestReceiver, webhookTestApp } from "../testing.ts";

describe("a slow or failing receiver", () => {
  it("never blocks API writes: writes complete while the receiver hangs", async () => {
    const hanging = await TestReceiver.start(() => new Promise(() => {}));
    const failing = await TestReceiver.start(() => ({ status: 500 }));
    const t = webhookTestApp({ realClock: true, startWorker: true, worker: { timeoutMs: 5000 } });
    await subscribe(t, hanging.url);
    await subscribe(t, failing.url);
    await t.call("POST", "/v1/apply", [namespace("a")]);
    await hanging.waitFor(1);
    const started = performance.now();
    for (let i = 0; i < 50; i++) {
      const res = await t.call("PUT", `/v1/namespaces/a/networkpolicies/p${i}`, denyAll("a", `p${i}`));
      assert.equal(res.status, 201);
    }
    const ms = performance.now() - started;
    assert.ok(ms < 2000, `50 writes took ${ms.toFixed(0)} ms with a hanging receiver`);
    assert.ok(hanging.received.length <= 4, "the hanging receiver holds at most its own slots");
    assert.ok(t.deps.webhooks.queue.depth() > 0);
    await hanging.close();
    await failing.close();
    await t.deps.webhooks.close();
  });

  it("holds only its own slots: a fast receiver gets every event while a hanging one has a backlog", async () => {
    const hanging = await TestReceiver.start(() => new Promise(() => {}));
    const fast = await TestReceiver.start();
    const t = webhookTestApp({ realClock: true, startWorker: true, worker: { timeoutMs: 5000 } });
    await subscribe(t, hanging.url, ["policy.created"]);
    await subscribe(t, fast.url, ["policy.created"]);
    const bundle: unknown[] = [namespace("a")];
    for (let i = 0; i < 100; i++) bundle.push(denyAll("a", `p${i}`));
    await t.call("POST", "/v1/apply", bundle);
    await fast.waitFor(100, 3000);
    assert.equal(fast.distinctIds().length, 100);
    await hanging.waitFor(4);
    assert.equal(hanging.received.length, 4, "the hanging receiver holds its 4 slots, no more");
    await hanging.close();
    await fast.close();
    await t.deps.webhooks.close();
  });
});
