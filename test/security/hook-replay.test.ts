// Issue 10, section 4: a captured hook cannot roll policy back. Bundles are ordered by a generation
// carried in the signed body (palisade.dev/generation) and, for standard receivers, by the signed
// webhook-timestamp: a message not newer than the last one applied is refused, whatever its id.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import {
  denyAll,
  namespace,
  specSign,
  type WebhookTestApp,
  webhookTestApp,
} from "../../api/webhooks/testing.ts";

async function receiver(t: WebhookTestApp, kind: "standard" | "github") {
  const res = await t.call("POST", "/v1/webhook-receivers", { kind });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; secret: string };
}

/** A bundle for namespace `ci` with the policy `main`: allow-all or deny-all ingress, and a generation. */
function bundle(kind: "allow-all" | "deny-all", generation?: string): string {
  const ns = { ...namespace("ci"), metadata: { name: "ci", annotations: {} as Record<string, string> } };
  if (generation !== undefined) ns.metadata.annotations["palisade.dev/generation"] = generation;
  const policy = denyAll("ci", "main");
  const spec = kind === "allow-all" ? { ...policy.spec, ingress: [{}] } : policy.spec;
  return JSON.stringify([ns, { ...policy, spec }]);
}

function sendGithub(t: WebhookTestApp, r: { id: string; secret: string }, body: string, delivery: string) {
  const sig = `sha256=${createHmac("sha256", r.secret).update(body).digest("hex")}`;
  return t.call("POST", `/v1/hooks/${r.id}`, body, {
    token: null,
    headers: { "x-hub-signature-256": sig, "x-github-delivery": delivery },
  });
}

function sendStandard(
  t: WebhookTestApp,
  r: { id: string; secret: string },
  body: string,
  id: string,
  ts: number,
) {
  return t.call("POST", `/v1/hooks/${r.id}`, body, {
    token: null,
    headers: {
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": specSign(r.secret, id, ts, body),
    },
  });
}

/** What the policy `main` does now. */
async function mainPolicy(t: WebhookTestApp): Promise<"allow-all" | "deny-all"> {
  const res = await t.call("GET", "/v1/namespaces/ci/networkpolicies/main");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.spec.ingress?.length ? "allow-all" : "deny-all";
}

describe("a captured hook cannot roll policy back", () => {
  it("GitHub-style: A (allow-all), B (deny-all), then A replayed with delivery id `evil` is refused 409", async () => {
    const t = webhookTestApp();
    const r = await receiver(t, "github");
    const a = bundle("allow-all", "1700000001");
    assert.equal((await sendGithub(t, r, a, "d-a")).status, 200);
    assert.equal(await mainPolicy(t), "allow-all");
    const b = await sendGithub(t, r, bundle("deny-all", "1700000002"), "d-b");
    assert.equal(b.status, 200, JSON.stringify(b.body));
    const revision = t.deps.store.revision();
    const evil = await sendGithub(t, r, a, "evil");
    assert.deepEqual([evil.status, evil.body.error.code], [409, "hook.generation_stale"]);
    assert.equal(t.deps.store.revision(), revision, "the replay wrote a revision");
    assert.equal(await mainPolicy(t), "deny-all");
    // The same delivery id again still gets its first answer (GitHub redelivers with the same id).
    const again = await sendGithub(t, r, bundle("deny-all", "1700000002"), "d-b");
    assert.deepEqual([again.status, again.headers["webhook-replayed"]], [200, "true"]);
    // After the receipts are forgotten (24 h), the generation still refuses it.
    t.clock.advance(25 * 3_600_000);
    t.deps.webhooks.receivers.prune(24 * 3_600_000);
    const late = await sendGithub(t, r, bundle("deny-all", "1700000002"), "d-b");
    assert.deepEqual([late.status, late.body.error.code], [409, "hook.generation_stale"]);
    assert.equal(t.deps.store.revision(), revision);
    assert.equal(await mainPolicy(t), "deny-all");
  });

  it("GitHub-style: a bundle without a generation is refused, since nothing else it carries is signed", async () => {
    const t = webhookTestApp();
    const r = await receiver(t, "github");
    const res = await sendGithub(t, r, bundle("allow-all"), "d-1");
    assert.deepEqual([res.status, res.body.error.code], [422, "hook.generation_missing"]);
    assert.equal(t.deps.store.revision(), 0);
  });

  it("standard: an older generation is refused even within the timestamp window and under a new id", async () => {
    const t = webhookTestApp();
    const r = await receiver(t, "standard");
    const now = Math.floor(t.clock.now() / 1000);
    assert.equal((await sendStandard(t, r, bundle("allow-all", "5"), "m-a", now)).status, 200);
    assert.equal((await sendStandard(t, r, bundle("deny-all", "6"), "m-b", now)).status, 200);
    const old = await sendStandard(t, r, bundle("allow-all", "5"), "m-evil", now);
    assert.deepEqual([old.status, old.body.error.code], [409, "hook.generation_stale"]);
    const equal = await sendStandard(t, r, bundle("allow-all", "6"), "m-evil-2", now);
    assert.deepEqual([equal.status, equal.body.error.code], [409, "hook.generation_stale"]);
    // Once a generation was applied, a bundle without one is refused (an old capture has none).
    const none = await sendStandard(t, r, bundle("allow-all"), "m-none", now);
    assert.deepEqual([none.status, none.body.error.code], [422, "hook.generation_missing"]);
    assert.equal(await mainPolicy(t), "deny-all");
  });

  it("standard: a message signed before the last one applied is refused (a delayed capture of A)", async () => {
    const t = webhookTestApp();
    const r = await receiver(t, "standard");
    const now = Math.floor(t.clock.now() / 1000);
    // A was signed at now-60 and held back by an attacker; B, signed later, arrives and applies.
    const b = await sendStandard(t, r, bundle("deny-all"), "m-b", now);
    assert.equal(b.status, 200, JSON.stringify(b.body));
    const a = await sendStandard(t, r, bundle("allow-all"), "m-a", now - 60);
    assert.deepEqual([a.status, a.body.error.code], [409, "hook.generation_stale"]);
    assert.equal(await mainPolicy(t), "deny-all");
    // Two bundles signed within the same second both apply.
    const same = await sendStandard(t, r, bundle("allow-all"), "m-c", now);
    assert.equal(same.status, 200, JSON.stringify(same.body));
  });

  it("refuses a malformed generation, or documents that disagree on it, as an invalid bundle", async () => {
    const t = webhookTestApp();
    const r = await receiver(t, "standard");
    const now = Math.floor(t.clock.now() / 1000);
    const bad = await sendStandard(t, r, bundle("allow-all", "v1.2"), "m-1", now);
    assert.deepEqual([bad.status, bad.body.error.code], [422, "hook.invalid"]);
    assert.equal(bad.body.error.issues[0].rule, "generation_format");
    const policy = denyAll("ci", "main") as ReturnType<typeof denyAll> & {
      metadata: Record<string, unknown>;
    };
    policy.metadata.annotations = { "palisade.dev/generation": "8" };
    const ns = JSON.parse(bundle("allow-all", "7"))[0];
    const mixed = await sendStandard(t, r, JSON.stringify([ns, policy]), "m-2", now);
    assert.deepEqual([mixed.status, mixed.body.error.issues[0].rule], [422, "generation_mismatch"]);
    assert.equal(mixed.body.error.issues[0].path, '[1].metadata.annotations["palisade.dev/generation"]');
    assert.equal(t.deps.store.revision(), 0);
  });
});

describe("a delivery sent twice at once", () => {
  it("GitHub-style: the copy that waited for its turn is answered as the replay of the first, not 409", async () => {
    const t = webhookTestApp();
    const r = await receiver(t, "github");
    const body = bundle("allow-all", "1700000001");
    const before = t.deps.store.revision();
    // Both pass the receipt check before either commits; the second finds the first's at its turn.
    const [first, second] = await Promise.all([
      sendGithub(t, r, body, "d-twice"),
      sendGithub(t, r, body, "d-twice"),
    ]);
    assert.deepEqual([first.status, second.status], [200, 200], JSON.stringify(second.body));
    assert.equal(second.headers["webhook-replayed"], "true");
    assert.equal(t.deps.store.revision(), before + 1, "one revision for the two copies");
  });
});
