import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openDatabase } from "../../../db/client.ts";
import { denyAll, namespace, subscribe, TestReceiver, webhookTestApp } from "../testing.ts";

describe("crash between commit and delivery", () => {
  it("an event committed but not yet sent is delivered after a restart, exactly once by webhook-id", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-webhooks-"));
    const file = join(dir, "p.db");
    const receiver = await TestReceiver.start();
    try {
      // First life: the write commits with its event; the process stops before any delivery.
      const first = webhookTestApp({ database: openDatabase(file), realClock: true });
      await subscribe(first, receiver.url, ["policy.created"]);
      const applied = await first.call("POST", "/v1/apply", [namespace("a"), denyAll("a", "p")]);
      assert.equal(applied.status, 200);
      assert.equal(first.deps.webhooks.queue.depth(), 1);
      // An attempt was claimed (in flight) when the process died: it must not be lost either.
      const [sub] = first.deps.webhooks.queue.enabledSubscriptions();
      assert.equal(first.deps.webhooks.queue.claim(sub!, Date.now(), 1).length, 1);
      first.database.close();
      assert.equal(receiver.received.length, 0);

      // Second life on the same file: the worker starts and finds the delivery.
      const second = webhookTestApp({ database: openDatabase(file), realClock: true, startWorker: true });
      await receiver.waitFor(1);
      await second.deps.webhooks.worker.idle();
      await second.deps.webhooks.close();
      assert.deepEqual(receiver.distinctIds().length, 1);
      const event = JSON.parse(receiver.received[0]!.body);
      assert.equal(event.type, "policy.created");
      assert.equal(event.revision, applied.body.revision);
      assert.equal(second.deps.webhooks.queue.depth(), 0);
      second.database.close();

      // Third life: nothing is sent again.
      const third = webhookTestApp({ database: openDatabase(file), realClock: true, startWorker: true });
      await new Promise((r) => setTimeout(r, 100));
      await third.deps.webhooks.close();
      third.database.close();
      assert.equal(receiver.received.length, 1);
    } finally {
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
