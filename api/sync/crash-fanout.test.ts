// A control plane killed between a commit and its fan-out loses no delta: the revision is in the
// log, and the agent that never received it resumes from there (a delta, not a snapshot) when it
// reconnects to the restarted control plane.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { startServer } from "../main.ts";
import { ScriptedAgent } from "./testing.ts";

const ADMIN = "crash-child-admin-token";

async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  return { status: res.status, body: (await res.json()) as any };
}

describe("crash between commit and fan-out", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-crash-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the agent resumes the lost revision from the log as a delta", async () => {
    const dbPath = join(dir, "p.db");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "crash-commit.child.ts"), dbPath],
      {
        stdio: ["pipe", "pipe", "inherit"],
        timeout: 30_000,
      },
    );
    // A failed assertion must not leave the child running.
    after(() => child.kill("SIGKILL"));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const url = (await lines.next()).value as string;
    assert.equal((await call(url, "PUT", "/v1/namespaces/c", { labels: {} })).status, 201);
    const token = await call(url, "POST", "/v1/enrollment-tokens", { maxUses: 1 });
    const { credential } = (await call(url, "POST", "/v1/enroll", { token: token.body.token, node: "n1" }))
      .body;
    const agent = await ScriptedAgent.connect(url, credential);
    agent.hello("n1", null);
    const snap = await agent.next("snapshot");
    agent.send({ type: "ack", revision: snap.revision });

    const exited = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    child.stdin!.write("commit n1 10.44.0.1\n");
    const committed = Number((await lines.next()).value);
    assert.equal(await exited, "SIGKILL");
    assert.equal(committed, snap.revision + 1);
    await agent.waitClosed();
    assert.deepEqual(
      agent.messages.filter((m) => m.type === "delta"),
      [],
      "the crash came before the fan-out",
    );

    const server = await startServer({ listen: "127.0.0.1:0", dbPath, adminToken: ADMIN, log: () => {} });
    try {
      const again = await ScriptedAgent.connect(server.url, credential);
      again.hello("n1", snap.revision);
      const delta = await again.next("delta");
      assert.deepEqual([delta.fromRevision, delta.toRevision], [snap.revision, committed]);
      assert.equal(delta.delta.endpoints.upsert[0]?.interface, "veth-late");
      assert.equal(again.messages.filter((m) => m.type === "snapshot").length, 0);
      again.close();
    } finally {
      await server.close();
    }
  });
});
