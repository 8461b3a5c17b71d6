// Issue 10, section 3: webhook secrets are sealed at rest with a key kept outside the database; the
// database file alone does not let anyone sign; clear rows of older versions are sealed at start;
// the key rotates by listing a new key before the old one.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { type RunningServer, startServer } from "../../api/main.ts";
import { namespace, specSign } from "../../api/webhooks/testing.ts";
import { openDatabase } from "../../db/client.ts";

const ADMIN = "secrets-at-rest-admin";
const bundle = JSON.stringify([namespace("ci")]);

function start(dbPath: string, env: Record<string, string> = {}, logs: Record<string, unknown>[] = []) {
  return startServer({
    listen: "127.0.0.1:0",
    dbPath,
    adminToken: ADMIN,
    env,
    webhookAllowNetworks: ["127.0.0.0/8"],
    log: (l) => logs.push(l),
  });
}

async function call(server: RunningServer, method: string, path: string, body?: string, headers = {}) {
  const res = await fetch(`${server.url}${path}`, { method, headers, body });
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  return { status: res.status, body: (await res.json()) as any };
}

const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

async function createReceiver(server: RunningServer, kind: "standard" | "github") {
  const res = await call(server, "POST", "/v1/webhook-receivers", JSON.stringify({ kind }), admin);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; secret: string };
}

/** A Standard Webhooks hook signed with `secret` (whatever it is: the real one or a stolen column). */
function sendStandard(server: RunningServer, receiverId: string, secret: string, id: string) {
  const ts = Math.floor(Date.now() / 1000);
  let signature: string;
  try {
    signature = specSign(secret, id, ts, bundle);
  } catch {
    signature = "v1,AAAA";
  }
  return call(server, "POST", `/v1/hooks/${receiverId}`, bundle, {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": signature,
  });
}

/** Every byte SQLite keeps for this database. */
function fileBytes(dbPath: string): string {
  return ["", "-wal", "-shm"]
    .filter((s) => existsSync(dbPath + s))
    .map((s) => readFileSync(dbPath + s).toString("latin1"))
    .join("");
}

function storedSecrets(dbPath: string): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return [
      ...(db.prepare("SELECT secret FROM webhook_receivers").pluck().all() as string[]),
      ...(db.prepare("SELECT secret FROM webhooks").pluck().all() as string[]),
    ];
  } finally {
    db.close();
  }
}

describe("webhook secrets at rest", () => {
  const root = mkdtempSync(join(tmpdir(), "palisade-secrets-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("keeps the key in a 0600 file beside the database; the database file alone signs nothing", async () => {
    const dir = join(root, "copy");
    const dbPath = join(dir, "palisade.db");
    let server = await start(dbPath);
    assert.equal(server.secretKeyFile, join(dir, "secret-key"));
    assert.equal(statSync(join(dir, "secret-key")).mode & 0o777, 0o600);
    const standard = await createReceiver(server, "standard");
    const github = await createReceiver(server, "github");
    const sub = await call(
      server,
      "POST",
      "/v1/webhooks",
      JSON.stringify({ url: "http://127.0.0.1:9/h", events: ["*"] }),
      admin,
    );
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    await server.close();

    const bytes = fileBytes(dbPath);
    for (const secret of [standard.secret, github.secret, sub.body.secret as string]) {
      assert.ok(!bytes.includes(secret), "a clear secret is in the database files");
      const key = secret.startsWith("whsec_") ? Buffer.from(secret.slice(6), "base64") : null;
      if (key) assert.ok(!readFileSync(dbPath).includes(key), "the raw key bytes are in the database");
    }
    const stored = storedSecrets(dbPath);
    assert.equal(stored.length, 3);
    for (const s of stored) assert.match(s, /^v1:[0-9a-f]{8}:/);

    // Someone with the database file alone: the stored values do not sign.
    const thief = join(root, "thief");
    mkdirSync(thief);
    copyFileSync(dbPath, join(thief, "palisade.db"));
    await assert.rejects(start(join(thief, "palisade.db")), /secret-key does not exist/);
    assert.ok(!existsSync(join(thief, "secret-key")), "no key is invented for sealed secrets");
    await assert.rejects(
      start(join(thief, "palisade.db"), { PALISADE_SECRET_KEY: randomBytes(32).toString("base64") }),
      /not configured/,
    );

    server = await start(dbPath);
    const receiverSecret = stored[0]!;
    const forged = await sendStandard(server, standard.id, receiverSecret, "m-forged");
    assert.deepEqual([forged.status, forged.body.error.code], [401, "hook.signature_invalid"]);
    const githubForged = await call(server, "POST", `/v1/hooks/${github.id}`, bundle, {
      "x-hub-signature-256": `sha256=${createHmac("sha256", stored[1]!).update(bundle).digest("hex")}`,
    });
    assert.deepEqual([githubForged.status, githubForged.body.error.code], [401, "hook.signature_invalid"]);
    const real = await sendStandard(server, standard.id, standard.secret, "m-real");
    assert.equal(real.status, 200, JSON.stringify(real.body));
    await server.close();
  });

  it("seals the clear secrets an older version stored, in one go at start, and they keep verifying", async () => {
    const dir = join(root, "legacy");
    const dbPath = join(dir, "palisade.db");
    const clear = `whsec_${randomBytes(32).toString("base64")}`;
    const clearSub = `whsec_${randomBytes(32).toString("base64")}`;
    const old = openDatabase(dbPath);
    const at = new Date().toISOString();
    old.sqlite
      .prepare(
        "INSERT INTO webhook_receivers (id, kind, description, secret, created_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run("whr_legacy", "standard", "", clear, at);
    old.sqlite
      .prepare(
        "INSERT INTO webhooks (id, url, description, events, enabled, secret, previous_secret, previous_secret_expires_at, created_at, updated_at) VALUES (?, ?, '', '[\"*\"]', 1, ?, ?, ?, ?, ?)",
      )
      .run("wh_legacy", "https://example.com/h", clearSub, `${clearSub}x`, Date.now() + 3_600_000, at, at);
    old.close();
    assert.ok(fileBytes(dbPath).includes(clear));

    const logs: Record<string, unknown>[] = [];
    const server = await start(dbPath, {}, logs);
    assert.ok(logs.some((l) => l.msg === "webhook secrets sealed with the current key" && l.sealed === 3));
    const res = await sendStandard(server, "whr_legacy", clear, "m-1");
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await server.close();
    for (const s of storedSecrets(dbPath)) assert.match(s, /^v1:/);
    const bytes = fileBytes(dbPath);
    assert.ok(!bytes.includes(clear) && !bytes.includes(clearSub), "the clear secret survives in the file");
  });

  it("rotates the key: a new key listed first reseals everything at start, then the old key can go", async () => {
    const dir = join(root, "rotate");
    const dbPath = join(dir, "palisade.db");
    const [k1, k2] = [randomBytes(32).toString("base64"), randomBytes(32).toString("hex")];
    let server = await start(dbPath, { PALISADE_SECRET_KEY: k1 });
    assert.equal(server.secretKeyFile, undefined);
    assert.ok(!existsSync(join(dir, "secret-key")));
    const r = await createReceiver(server, "standard");
    await server.close();

    const logs: Record<string, unknown>[] = [];
    server = await start(dbPath, { PALISADE_SECRET_KEY: `${k2},${k1}` }, logs);
    assert.ok(logs.some((l) => l.msg === "webhook secrets sealed with the current key" && l.resealed === 1));
    assert.equal((await sendStandard(server, r.id, r.secret, "m-1")).status, 200);
    await server.close();

    server = await start(dbPath, { PALISADE_SECRET_KEY: k2 });
    assert.equal((await sendStandard(server, r.id, r.secret, "m-2")).status, 200);
    await server.close();
    await assert.rejects(start(dbPath, { PALISADE_SECRET_KEY: k1 }), /not configured/);
  });
});
