import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import {
  denyAll,
  namespace,
  specSign,
  subscribe,
  TestReceiver,
  type WebhookTestApp,
  webhookTestApp,
} from "../testing.ts";

async function receiver(t: WebhookTestApp, kind: "standard" | "github" = "standard") {
  const res = await t.call("POST", "/v1/webhook-receivers", { kind, description: "ci" });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; secret: string; path: string };
}

/** Sends a bundle signed as a Standard Webhooks sender would; no bearer token. */
function send(
  t: WebhookTestApp,
  r: { id: string; secret: string },
  body: string,
  opts: { id?: string; ts?: number; secret?: string; type?: string; headers?: Record<string, string> } = {},
) {
  const id = opts.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const ts = opts.ts ?? Math.floor(t.clock.now() / 1000);
  return t.call("POST", `/v1/hooks/${r.id}`, body, {
    token: null,
    type: opts.type ?? "application/json",
    headers: {
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": specSign(opts.secret ?? r.secret, id, ts, body),
      ...opts.headers,
    },
  });
}

const bundle = JSON.stringify([namespace("ci"), denyAll("ci", "deny")]);

describe("inbound receivers", () => {
  it("applies a signed bundle all at once as one revision, without a bearer token", async () => {
    const t = webhookTestApp();
    const r = await receiver(t);
    assert.match(r.secret, /^whsec_/);
    assert.equal(r.path, `/v1/hooks/${r.id}`);
    const res = await send(t, r, bundle);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.revision, 1);
    assert.deepEqual(
      res.body.applied.map((a: { kind: string; name: string }) => `${a.kind}/${a.name}`),
      ["namespace/ci", "policy/deny"],
    );
    assert.equal((await t.call("GET", "/v1/namespaces/ci/networkpolicies/deny")).status, 200);
  });

  it("accepts multi-document YAML as /v1/apply does", async () => {
    const t = webhookTestApp();
    const r = await receiver(t);
    const yaml = `apiVersion: v1\nkind: Namespace\nmetadata: {name: y}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: y, name: p}\nspec: {podSelector: {}}\n`;
    const res = await send(t, r, yaml, { type: "application/yaml" });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.applied.length, 2);
  });

  it("answers a replayed webhook-id with the first answer and applies nothing again", async () => {
    const t = webhookTestApp();
    const r = await receiver(t);
    const first = await send(t, r, bundle, { id: "msg_once" });
    t.clock.advance(60_000);
    const again = await send(t, r, bundle, { id: "msg_once" });
    assert.equal(again.status, first.status);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers["webhook-replayed"], "true");
    assert.equal(t.deps.store.revision(), 1);
    const reused = await send(t, r, JSON.stringify([namespace("other")]), { id: "msg_once" });
    assert.deepEqual([reused.status, reused.body.error.code], [409, "hook.id_reused"]);
    assert.equal(t.deps.store.revision(), 1);
    const metrics = (await t.call("GET", "/metrics")).body as string;
    for (const result of ["applied", "replayed", "refused"]) {
      assert.match(metrics, new RegExp(`palisade_webhook_inbound_total\\{result="${result}"\\} 1`));
    }
  });

  it("answers concurrent copies of one message once applied and once replayed", async () => {
    const t = webhookTestApp();
    const r = await receiver(t);
    const [a, b] = await Promise.all([
      send(t, r, bundle, { id: "msg_twin" }),
      send(t, r, bundle, { id: "msg_twin" }),
    ]);
    assert.deepEqual([a.status, b.status], [200, 200]);
    assert.deepEqual(a.body, b.body);
    assert.equal(t.deps.store.revision(), 1);
  });

  const refusals: {
    name: string;
    status: number;
    code: string;
    send(t: WebhookTestApp, r: { id: string; secret: string }): ReturnType<typeof send>;
  }[] = [
    {
      name: "a signature made with another secret",
      status: 401,
      code: "hook.signature_invalid",
      send: (t, r) => send(t, r, bundle, { secret: `whsec_${Buffer.alloc(32, 7).toString("base64")}` }),
    },
    {
      name: "a body changed after signing",
      status: 401,
      code: "hook.signature_invalid",
      send: (t, r) =>
        send(t, r, bundle, {
          headers: {
            "webhook-id": "m1",
            "webhook-timestamp": String(Math.floor(t.clock.now() / 1000)),
            "webhook-signature": specSign(r.secret, "m1", Math.floor(t.clock.now() / 1000), "[]"),
          },
        }),
    },
    {
      name: "a timestamp six minutes old",
      status: 401,
      code: "hook.timestamp_stale",
      send: (t, r) => send(t, r, bundle, { ts: Math.floor(t.clock.now() / 1000) - 360 }),
    },
    {
      name: "a timestamp six minutes ahead",
      status: 401,
      code: "hook.timestamp_stale",
      send: (t, r) => send(t, r, bundle, { ts: Math.floor(t.clock.now() / 1000) + 360 }),
    },
    {
      name: "a timestamp that is not Unix seconds",
      status: 400,
      code: "hook.timestamp_invalid",
      send: (t, r) => send(t, r, bundle, { headers: { "webhook-timestamp": "yesterday" } }),
    },
    {
      name: "missing signature headers",
      status: 400,
      code: "hook.headers_missing",
      send: (t, r) => t.call("POST", `/v1/hooks/${r.id}`, bundle, { token: null }),
    },
    {
      name: "an unknown receiver",
      status: 404,
      code: "hook.receiver_not_found",
      send: (t, r) => send(t, { ...r, id: "whr_nope" }, bundle),
    },
    {
      name: "malformed JSON",
      status: 400,
      code: "hook.invalid_body",
      send: (t, r) => send(t, r, '[{"kind": "Namespace",'),
    },
    {
      name: "malformed YAML",
      status: 400,
      code: "hook.invalid_body",
      send: (t, r) => send(t, r, "kind: [unclosed\n", { type: "application/yaml" }),
    },
    {
      name: "an empty body",
      status: 400,
      code: "hook.invalid_body",
      send: (t, r) => send(t, r, ""),
    },
    {
      name: "a bundle with one invalid policy among valid documents",
      status: 422,
      code: "hook.invalid",
      send: (t, r) =>
        send(
          t,
          r,
          JSON.stringify([
            namespace("ci"),
            {
              ...denyAll("ci", "bad"),
              spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }] },
            },
          ]),
        ),
    },
    {
      name: "a body over the size limit",
      status: 413,
      code: "hook.body_too_large",
      send: (t, r) => send(t, r, JSON.stringify([{ kind: "Namespace", pad: "x".repeat(1 << 20) }])),
    },
  ];

  for (const c of refusals) {
    it(`refuses ${c.name} with ${c.status} ${c.code} and applies nothing`, async () => {
      const t = webhookTestApp();
      const r = await receiver(t);
      const res = await c.send(t, r);
      assert.equal(res.status, c.status, JSON.stringify(res.body).slice(0, 300));
      assert.equal(res.body.error.code, c.code);
      assert.equal(t.deps.store.revision(), 0);
      assert.equal((await t.call("GET", "/v1/namespaces")).body.items.length, 0);
      assert.deepEqual(
        t.logs.filter((l) => l.level === "error"),
        [],
      );
    });
  }

  it("a refused message is not remembered: the sender may fix the state and retry the same id", async () => {
    const t = webhookTestApp();
    const r = await receiver(t);
    const orphan = JSON.stringify([denyAll("later", "p")]);
    const first = await send(t, r, orphan, { id: "msg_retry" });
    assert.deepEqual([first.status, first.body.error.code], [404, "namespace.not_found"]);
    await t.call("PUT", "/v1/namespaces/later", { labels: {} });
    const second = await send(t, r, orphan, { id: "msg_retry" });
    assert.equal(second.status, 200);
  });

  it("lists and deletes receivers without their secrets; a deleted receiver answers 404", async () => {
    const t = webhookTestApp();
    const r = await receiver(t);
    const list = await t.call("GET", "/v1/webhook-receivers");
    assert.equal(list.body.items.length, 1);
    assert.equal(JSON.stringify(list.body).includes(r.secret), false);
    assert.equal((await t.call("DELETE", `/v1/webhook-receivers/${r.id}`)).body.deleted, true);
    const res = await send(t, r, bundle);
    assert.equal(res.body.error.code, "hook.receiver_not_found");
  });

  it("emits apply.completed naming the receiver and message for a hook-applied bundle", async () => {
    const out = await TestReceiver.start();
    const t = webhookTestApp();
    await subscribe(t, out.url, ["apply.completed"]);
    const r = await receiver(t);
    await send(t, r, bundle, { id: "msg_evt" });
    await t.deps.webhooks.worker.tick();
    const event = JSON.parse(out.received[0]!.body);
    assert.deepEqual(event.data.source, { kind: "hook", receiverId: r.id, messageId: "msg_evt" });
    await out.close();
  });
});

describe("GitHub-style receivers", () => {
  const sign = (secret: string, body: string) =>
    `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

  it("applies a bundle signed with X-Hub-Signature-256 and dedupes by X-GitHub-Delivery", async () => {
    const t = webhookTestApp();
    const r = await receiver(t, "github");
    // A GitHub-style receiver needs the bundle's generation (issue 10: the delivery id is unsigned).
    const ns = namespace("ci") as ReturnType<typeof namespace> & { metadata: Record<string, unknown> };
    ns.metadata.annotations = { "palisade.dev/generation": "1" };
    const bundle = JSON.stringify([ns, denyAll("ci", "deny")]);
    const headers = { "x-hub-signature-256": sign(r.secret, bundle), "x-github-delivery": "d-1" };
    const res = await t.call("POST", `/v1/hooks/${r.id}`, bundle, { token: null, headers });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const again = await t.call("POST", `/v1/hooks/${r.id}`, bundle, { token: null, headers });
    assert.deepEqual(again.body, res.body);
    assert.equal(t.deps.store.revision(), 1);
  });

  it("refuses a wrong X-Hub-Signature-256 and answers GitHub's ping without applying", async () => {
    const t = webhookTestApp();
    const r = await receiver(t, "github");
    const bad = await t.call("POST", `/v1/hooks/${r.id}`, bundle, {
      token: null,
      headers: { "x-hub-signature-256": sign("not-the-secret", bundle) },
    });
    assert.deepEqual([bad.status, bad.body.error.code], [401, "hook.signature_invalid"]);
    const ping = '{"zen": "Keep it logically awesome."}';
    const pong = await t.call("POST", `/v1/hooks/${r.id}`, ping, {
      token: null,
      headers: { "x-hub-signature-256": sign(r.secret, ping), "x-github-event": "ping" },
    });
    assert.equal(pong.body.pong, true);
    assert.equal(t.deps.store.revision(), 0);
  });
});
