// An acknowledged write survives kill -9 under group commit: 16 clients write policies through
// the API while the control plane is killed mid-stream; every write answered before the kill is
// in the database a restart loads, with the revision it was answered with.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { openDatabase } from "../../db/client.ts";
import { Store } from "./store.ts";

const ADMIN = "kill9-admin-token";
const CLIENTS = 16;
const KILL_AFTER = 300;

describe("group commit durability", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-kill9-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps every write answered before a SIGKILL", async () => {
    const dbPath = join(dir, "p.db");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "kill9-server.child.ts"), dbPath, ADMIN],
      { stdio: ["ignore", "pipe", "inherit"], timeout: 60_000 },
    );
    after(() => child.kill("SIGKILL"));
    const url = (await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next())
      .value as string;
    const put = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    assert.equal((await put("/v1/namespaces/k", { labels: {} })).status, 201);
    const exited = new Promise((resolve) => child.once("exit", (_c, signal) => resolve(signal)));

    const acked = new Map<string, number>();
    let next = 0;
    let killed = false;
    const client = async () => {
      while (!killed) {
        const name = `p${next++}`;
        try {
          const res = await put(`/v1/namespaces/k/networkpolicies/${name}`, {
            spec: { podSelector: {}, policyTypes: ["Ingress"] },
          });
          const body = (await res.json()) as { revision?: number };
          if (killed) return; // answered, but counted only if read before the kill was sent
          assert.equal(res.status, 201, JSON.stringify(body));
          acked.set(name, body.revision!);
          if (acked.size === KILL_AFTER) {
            killed = true;
            child.kill("SIGKILL");
          }
        } catch {
          return; // the connection died with the server
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    assert.equal(await exited, "SIGKILL");
    assert.equal(acked.size, KILL_AFTER);

    const database = openDatabase(dbPath);
    try {
      const store = new Store(database);
      const maxAcked = Math.max(...acked.values());
      assert.ok(store.revision() >= maxAcked, `revision ${store.revision()} < acknowledged ${maxAcked}`);
      const log = new Map((store.changesSince(0) ?? []).map((r) => [r.revision, r] as const));
      for (const [name, revision] of acked) {
        assert.ok(store.engine.policies.has(`k/${name}`), `acknowledged policy ${name} lost`);
        assert.ok(log.has(revision), `revision ${revision} of ${name} not in the log`);
      }
      // One revision per write, none shared and none skipped.
      assert.equal(new Set(acked.values()).size, acked.size);
    } finally {
      database.close();
    }
  });
});
