// Tests the console's overview against a real control plane on loopback with scripted agents:
// connected or not, applied revision, lag, last error, agent version, and the recent nacks.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN, ScriptedAgent, startPlane, type TestPlane } from "../sync/testing.ts";

describe("web console: overview", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane();
  });
  after(() => plane.close());

  async function signedInCookie(): Promise<string> {
    const res = await fetch(`${plane.server.url}/ui/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: plane.server.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: ADMIN }).toString(),
    });
    assert.equal(res.status, 303);
    return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  }

  /** The overview's node rows, as cell texts keyed by node name. */
  async function nodeRows(cookie: string): Promise<Record<string, string[]>> {
    const html = await (await fetch(`${plane.server.url}/ui`, { headers: { cookie } })).text();
    const rows: Record<string, string[]> = {};
    for (const [, row] of html.matchAll(/<tr><th scope="row">(.*?)<\/tr>/gs)) {
      const cells = [...`<th>${row}`.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/gs)].map(([, c]) =>
        c!.replace(/<[^>]+>/g, ""),
      );
      rows[cells[0]!] = cells.slice(1);
    }
    return rows;
  }

  it("shows each node's connection, applied revision, lag, last error and version, and recent nacks", async () => {
    const credential = await plane.enroll("node-a");
    await plane.enroll("node-b");
    const agent = await ScriptedAgent.connect(plane.server.url, credential);
    agent.hello("node-a", null);
    const snap = await agent.next("snapshot");
    agent.send({ type: "ack", revision: snap.revision });
    await plane.api("PUT", "/v1/namespaces/x", { labels: {} });
    const delta = await agent.next("delta");
    agent.send({
      type: "nack",
      revision: delta.toRevision,
      error: { code: "ERR_MAP_FULL", message: "map <full>" },
    });
    for (;;) {
      if ((await plane.api("GET", "/v1/nodes/node-a")).body.lastError) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const cookie = await signedInCookie();
    const rows = await nodeRows(cookie);
    // Columns: connected, applied revision, lag, endpoints, last error, agent version, last seen.
    assert.deepEqual(rows["node-a"]!.slice(0, 6), [
      "connected",
      String(snap.revision),
      String(delta.toRevision - snap.revision),
      "0",
      `revision ${delta.toRevision}: ERR_MAP_FULL: map &lt;full&gt;`,
      "test",
    ]);
    assert.deepEqual(rows["node-b"]!.slice(0, 3), ["disconnected", "—", "—"]);
    const html = await (await fetch(`${plane.server.url}/ui`, { headers: { cookie } })).text();
    assert.match(html, /data-testid="agents-connected">1 of 2</);
    assert.match(html, new RegExp(`data-testid="revision">${delta.toRevision}<`));
    assert.match(
      html,
      new RegExp(
        `<td>node-a</td><td>${delta.toRevision}</td><td class="wrap"><code>ERR_MAP_FULL</code> map &lt;full&gt;</td>`,
      ),
    );
    agent.close();
  });
});
