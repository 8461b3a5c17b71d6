// GET /v1/sync/wait settles on every way a node's applied revision moves: an agent that comes
// back already at the revision (its hello says so, no delta follows) ends a wait at once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ScriptedAgent, startPlane, type TestPlane } from "./testing.ts";

describe("sync wait", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane();
  });
  after(() => plane.close());

  it("ends when a reconnecting agent's hello already names the revision", async () => {
    const credential = await plane.enroll("back");
    const first = await ScriptedAgent.connect(plane.server.url, credential);
    first.hello("back", null);
    const snap = await first.next("snapshot");
    first.send({ type: "ack", revision: snap.revision });
    first.ws.close();
    await new Promise((r) => setTimeout(r, 100));
    // A wait that starts while the node is away, for the revision it already applied.
    const waiting = plane.api("GET", `/v1/sync/wait?revision=${snap.revision}&node=back&timeoutSeconds=5`);
    await new Promise((r) => setTimeout(r, 100));
    const again = await ScriptedAgent.connect(plane.server.url, credential);
    const started = Date.now();
    again.hello("back", snap.revision);
    const answer = await waiting;
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.ok(Date.now() - started < 4000, "answered on the hello, not at the timeout");
    again.ws.close();
  });
});
