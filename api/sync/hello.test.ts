// The hub's check of the node a hello names: a valid node name, and the node of the credential.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CLOSE } from "../../wire/sync.ts";
import { ScriptedAgent, startPlane, type TestPlane } from "./testing.ts";

describe("sync hello", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane();
  });
  after(() => plane.close());

  it("a hello naming another node than the credential's is refused with 4001 and connects neither", async () => {
    const credential = await plane.enroll("hello-a");
    await plane.enroll("hello-b");
    const agent = await ScriptedAgent.connect(plane.server.url, credential);
    agent.hello("hello-b", null);
    const closed = await agent.waitClosed();
    assert.equal(closed.code, CLOSE.PROTOCOL);
    assert.match(closed.reason, /credential belongs to node hello-a, hello names hello-b/);
    assert.equal(agent.messages.length, 0, "no welcome, no snapshot");
    for (const node of ["hello-a", "hello-b"]) {
      assert.equal((await plane.api("GET", `/v1/nodes/${node}`)).body.connected, false, node);
    }
  });

  it("a hello whose node is not a valid node name is refused with 4001", async () => {
    const credential = await plane.enroll("hello-c");
    for (const node of ["Hello-C", "hello_c", "", "hello-c."]) {
      const agent = await ScriptedAgent.connect(plane.server.url, credential);
      agent.hello(node, null);
      const closed = await agent.waitClosed();
      assert.equal(closed.code, CLOSE.PROTOCOL, JSON.stringify(node));
      assert.match(closed.reason, /^invalid message at node: /);
      assert.equal(agent.messages.length, 0);
    }
    const good = await ScriptedAgent.connect(plane.server.url, credential);
    good.hello("hello-c", null);
    assert.equal((await good.next("welcome")).node, "hello-c", "the credential itself still works");
    good.close();
  });
});
