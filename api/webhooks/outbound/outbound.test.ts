import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { denyAll, namespace, specVerify, subscribe, TestReceiver, webhookTestApp } from "../testing.ts";

describe("webhook subscriptions", () => {
  let receiver: TestReceiver;
  before(async () => {
    receiver = await TestReceiver.start();
  });
  after(() => receiver.close());

  it("shows the whsec_ secret once, at creation, and never in list or get", async () => {
    const t = webhookTestApp();
    const created = await subscribe(t, receiver.url, ["policy.created"]);
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(created.secret.slice(6), "base64").length, 32);
    const list = await t.call("GET", "/v1/webhooks");
    assert.equal(list.body.items.length, 1);
    assert.equal(JSON.stringify(list.body).includes(created.secret), false);
    const one = await t.call("GET", `/v1/webhooks/${created.id}`);
    assert.deepEqual(
      [one.body.url, one.body.events, one.body.enabled],
      [receiver.url, ["policy.created"], true],
    );
    assert.equal(one.body.secret, undefined);
  });

  it("updates and deletes a subscription, and answers 404 webhook.not_found for an unknown one", async () => {
    const t = webhookTestApp();
    const { id } = await subscribe(t, receiver.url);
    const patched = await t.call("PATCH", `/v1/webhooks/${id}`, { enabled: false, events: ["node.nack"] });
    assert.deepEqual(
      [patched.status, patched.body.enabled, patched.body.events],
      [200, false, ["node.nack"]],
    );
    assert.equal((await t.call("DELETE", `/v1/webhooks/${id}`)).body.deleted, true);
    const gone = await t.call("GET", `/v1/webhooks/${id}`);
    assert.deepEqual([gone.status, gone.body.error.code], [404, "webhook.not_found"]);
  });

  it("refuses unknown event types, non-http URLs and URLs with credentials with 422 and the field's path", async () => {
    const t = webhookTestApp();
    for (const body of [
      { url: receiver.url, events: ["policy.exploded"] },
      { url: "ftp://127.0.0.1/x", events: ["*"] },
      { url: "http://user:pw@127.0.0.1/x", events: ["*"] },
      { url: receiver.url, events: [] },
    ]) {
      const res = await t.call("POST", "/v1/webhooks", body);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.error.code, "webhook.invalid");
    }
    assert.equal((await t.call("GET", "/v1/webhooks")).body.items.length, 0);
  });

  it("needs an admin token: a read token is refused with 403", async () => {
    const t = webhookTestApp();
    const token = await t.call("POST", "/v1/tokens", { scope: "read" });
    const res = await t.call("GET", "/v1/webhooks", undefined, { token: token.body.token });
    assert.deepEqual([res.status, res.body.error.code], [403, "auth.forbidden"]);
  });
});

describe("destination safety", () => {
  it("refuses link-local and cloud metadata destinations at subscription time, even with loopback allowed", async () => {
    const t = webhookTestApp();
    for (const url of [
      "http://169.254.169.254/latest/meta-data",
      "http://169.254.10.1/",
      "http://[fe80::1]/",
      "http://[fd00:ec2::254]/",
      "http://[::ffff:169.254.169.254]/",
    ]) {
      const res = await t.call("POST", "/v1/webhooks", { url, events: ["*"] });
      assert.equal(res.status, 422, url);
      assert.equal(res.body.error.code, "webhook.destination_refused", url);
      assert.equal(res.body.error.issues[0].path, "url");
    }
  });

  it("refuses private and loopback networks unless they are allowed", async () => {
    const t = webhookTestApp({ allowNetworks: [] });
    for (const url of ["http://127.0.0.1:9/", "http://10.1.2.3/", "http://192.168.1.1/", "http://[::1]/"]) {
      const res = await t.call("POST", "/v1/webhooks", { url, events: ["*"] });
      assert.equal(res.body.error?.code, "webhook.destination_refused", url);
    }
  });

  it("refuses a host whose name resolves to a refused address", async () => {
    const t = webhookTestApp({ resolve: async () => ["169.254.169.254"] });
    const res = await t.call("POST", "/v1/webhooks", { url: "http://metadata.example/", events: ["*"] });
    assert.equal(res.body.error.code, "webhook.destination_refused");
    assert.match(res.body.error.message, /metadata\.example resolves to 169\.254\.169\.254/);
  });

  it("checks again at delivery time: a name that rebinds to a metadata address gets no request", async () => {
    const receiver = await TestReceiver.start();
    let answers = ["127.0.0.1"];
    const t = webhookTestApp({ resolve: async () => answers });
    const port = new URL(receiver.url).port;
    const { id } = await subscribe(t, `http://rebind.example:${port}/hook`);
    answers = ["169.254.169.254"];
    await t.call("POST", "/v1/apply", [namespace("a"), denyAll("a", "p")]);
    await t.deps.webhooks.worker.tick();
    assert.equal(receiver.received.length, 0);
    const log = await t.call("GET", `/v1/webhooks/${id}/deliveries`);
    const attempt = log.body.items[0].attempts[0];
    assert.equal(attempt.statusCode, null);
    assert.match(attempt.error, /rebind\.example resolves to 169\.254\.169\.254, a cloud metadata address/);
    await receiver.close();
  });
});

describe("event delivery", () => {
  let receiver: TestReceiver;
  before(async () => {
    receiver = await TestReceiver.start();
  });
  after(() => receiver.close());

  it("delivers policy events and apply.completed signed per Standard Webhooks, checked by an independent verifier", async () => {
    const t = webhookTestApp();
    const { secret } = await subscribe(t, receiver.url, ["policy.created", "apply.completed"]);
    const before = receiver.received.length;
    const applied = await t.call("POST", "/v1/apply", [namespace("shop"), denyAll("shop", "deny")]);
    await t.deps.webhooks.worker.tick();
    const got = receiver.received.slice(before);
    assert.equal(got.length, 2);
    for (const r of got) {
      assert.ok(specVerify(secret, r, t.clock.now() / 1000), `signature of ${r.body}`);
      assert.equal(r.headers["content-type"], "application/json");
      const event = JSON.parse(r.body);
      assert.equal(event.id, r.headers["webhook-id"]);
      assert.match(event.id, /^evt_/);
      assert.equal(event.revision, applied.body.revision);
      assert.equal(event.timestamp, new Date(t.clock.now()).toISOString());
    }
    const events = got.map((r) => JSON.parse(r.body));
    const created = events.find((e) => e.type === "policy.created");
    assert.deepEqual(created.data, { namespace: "shop", name: "deny" });
    const completed = events.find((e) => e.type === "apply.completed");
    assert.deepEqual(completed.data.source, { kind: "api" });
    assert.equal(completed.data.appliedCount, 2);
  });

  it("sends only the event types a subscription asked for", async () => {
    const t = webhookTestApp();
    await subscribe(t, receiver.url, ["policy.deleted"]);
    const before = receiver.received.length;
    await t.call("PUT", "/v1/namespaces/x", { labels: {} });
    await t.call("PUT", "/v1/namespaces/x/networkpolicies/p", denyAll("x", "p"));
    await t.call("DELETE", "/v1/namespaces/x/networkpolicies/p");
    await t.deps.webhooks.worker.tick();
    const types = receiver.received.slice(before).map((r) => JSON.parse(r.body).type);
    assert.deepEqual(types, ["policy.deleted"]);
  });

  it("a refused write enqueues no event: the queue commits or rolls back with the change", async () => {
    const t = webhookTestApp();
    await subscribe(t, receiver.url);
    const res = await t.call("PUT", "/v1/namespaces/missing/networkpolicies/p", denyAll("missing", "p"));
    assert.equal(res.status, 404);
    assert.equal(t.deps.webhooks.queue.depth(), 0);
  });

  it("while a rotated secret is in its grace period, signs with both; after it, with the new one only", async () => {
    const t = webhookTestApp();
    const { id, secret: old } = await subscribe(t, receiver.url);
    const rotated = await t.call("POST", `/v1/webhooks/${id}/rotate-secret`, { graceSeconds: 3600 });
    assert.equal(rotated.status, 200);
    const fresh = rotated.body.secret as string;
    assert.notEqual(fresh, old);
    assert.equal(rotated.body.previousSecretExpiresAt, new Date(t.clock.now() + 3_600_000).toISOString());
    let before = receiver.received.length;
    await t.call("PUT", "/v1/namespaces/r", { labels: {} });
    await t.call("PUT", "/v1/namespaces/r/networkpolicies/p", denyAll("r", "p"));
    await t.deps.webhooks.worker.tick();
    const during = receiver.received.slice(before)[0]!;
    assert.equal(String(during.headers["webhook-signature"]).split(" ").length, 2);
    assert.ok(specVerify(fresh, during, t.clock.now() / 1000), "new secret");
    assert.ok(specVerify(old, during, t.clock.now() / 1000), "old secret during the grace period");
    t.clock.advance(3_600_001);
    before = receiver.received.length;
    await t.call("DELETE", "/v1/namespaces/r/networkpolicies/p");
    await t.deps.webhooks.worker.tick();
    const afterGrace = receiver.received.slice(before)[0]!;
    assert.ok(specVerify(fresh, afterGrace, t.clock.now() / 1000));
    assert.equal(specVerify(old, afterGrace, t.clock.now() / 1000), false);
  });
});

describe("delivery log and redelivery", () => {
  it("redelivers a finished delivery with the same webhook-id, and refuses one still pending", async () => {
    const receiver = await TestReceiver.start();
    const t = webhookTestApp();
    const { id } = await subscribe(t, receiver.url, ["policy.created"]);
    await t.call("POST", "/v1/apply", [namespace("a"), denyAll("a", "p")]);
    const pending = (await t.call("GET", `/v1/webhooks/${id}/deliveries?status=pending`)).body.items[0];
    const early = await t.call("POST", `/v1/webhooks/${id}/deliveries/${pending.id}/redeliver`);
    assert.deepEqual([early.status, early.body.error.code], [409, "webhook.delivery_pending"]);
    await t.deps.webhooks.worker.tick();
    const again = await t.call("POST", `/v1/webhooks/${id}/deliveries/${pending.id}/redeliver`);
    assert.equal(again.status, 202);
    assert.notEqual(again.body.id, pending.id);
    assert.equal(again.body.eventId, pending.eventId);
    await t.deps.webhooks.worker.tick();
    assert.equal(receiver.received.length, 2);
    assert.deepEqual(receiver.distinctIds(), [pending.eventId]);
    const one = await t.call("GET", `/v1/webhooks/${id}/deliveries/${again.body.id}`);
    assert.equal(one.body.status, "succeeded");
    const missing = await t.call("POST", `/v1/webhooks/${id}/deliveries/dlv_nope/redeliver`);
    assert.deepEqual([missing.status, missing.body.error.code], [404, "webhook.delivery_not_found"]);
    await receiver.close();
  });

  it("pages the delivery log newest first", async () => {
    const receiver = await TestReceiver.start();
    const t = webhookTestApp();
    const { id } = await subscribe(t, receiver.url, ["policy.created"]);
    await t.call("PUT", "/v1/namespaces/a", { labels: {} });
    for (const n of ["p1", "p2", "p3"])
      await t.call("PUT", `/v1/namespaces/a/networkpolicies/${n}`, denyAll("a", n));
    const first = await t.call("GET", `/v1/webhooks/${id}/deliveries?limit=2`);
    assert.equal(first.body.items.length, 2);
    assert.ok(first.body.nextBefore);
    const rest = await t.call("GET", `/v1/webhooks/${id}/deliveries?limit=2&before=${first.body.nextBefore}`);
    assert.equal(rest.body.items.length, 1);
    assert.deepEqual(
      [...first.body.items, ...rest.body.items].map((d: { revision: number }) => d.revision),
      [4, 3, 2],
    );
    await receiver.close();
  });

  it("counts deliveries by result, their duration and the queue depth in /metrics", async () => {
    const receiver = await TestReceiver.start();
    const t = webhookTestApp();
    await subscribe(t, receiver.url, ["policy.created"]);
    await t.call("POST", "/v1/apply", [namespace("a"), denyAll("a", "p")]);
    const before = await t.call("GET", "/metrics");
    assert.match(before.body, /palisade_webhook_queue_depth 1/);
    await t.deps.webhooks.worker.tick();
    const m = (await t.call("GET", "/metrics")).body as string;
    assert.match(m, /palisade_webhook_deliveries_total\{result="success"\} 1/);
    assert.match(m, /palisade_webhook_delivery_duration_seconds_count 1/);
    assert.match(m, /palisade_webhook_queue_depth 0/);
    await receiver.close();
  });
});
