// Tests of the agent's state machine: allowed transitions, logging.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AgentStateMachine } from "./state.ts";

describe("agent states", () => {
  it("transitions are logged with from, to and reason", () => {
    const lines: Record<string, unknown>[] = [];
    const s = new AgentStateMachine((l) => lines.push(l));
    assert.equal(s.transition("syncing", "credential loaded"), true);
    assert.equal(s.transition("ready", "revision 3 applied"), true);
    assert.deepEqual(lines.at(-1), {
      level: "info",
      msg: "agent state",
      from: "syncing",
      to: "ready",
      reason: "revision 3 applied",
    });
  });

  it("a transition the machine does not allow is ignored, and draining is final", () => {
    const s = new AgentStateMachine(() => {});
    assert.equal(s.transition("ready", "too early"), false);
    assert.equal(s.state, "enrolling");
    s.transition("draining", "stop");
    assert.equal(s.transition("syncing", "late event"), false);
    assert.equal(s.state, "draining");
  });
});
