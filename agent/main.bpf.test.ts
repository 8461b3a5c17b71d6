// The agent on the real BPF datapath against a fake control plane: programs attached to a veth,
// counters and drop events in /metrics, and a restart that neither flushes maps nor detaches.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { skbContext } from "../bpf/lib/codecs/skb.ts";
import { kernelTestSkipReason } from "../bpf/lib/features.ts";
import { native, POLICY_OBJECT } from "../bpf/lib/native.ts";
import { tempPinDir, tempVeth } from "../bpf/lib/testing/kernel.ts";
import { tcp } from "../bpf/lib/verdict-fixtures.ts";
import type { NodeState } from "../wire/entries.ts";
import { IDENTITY_HOST } from "../wire/entries.ts";
import { BpfAgentDatapath } from "./datapath/bpf.ts";
import { sortedState } from "./datapath/datapath.case.ts";
import type { RunningAgent } from "./main.ts";
import { agentFixture, enforced, eventually } from "./testing/agent-harness.ts";
import { FakeControlPlane } from "./testing/fake-control-plane.ts";

const skip =
  kernelTestSkipReason() ??
  (existsSync(POLICY_OBJECT)
    ? undefined
    : `the BPF objects are not built (${POLICY_OBJECT}; run npm run build:bpf)`);

describe("agent on the BPF datapath", { skip }, () => {
  let cp: FakeControlPlane;
  let pins: ReturnType<typeof tempPinDir>;
  let veth: ReturnType<typeof tempVeth>;
  before(async () => {
    cp = await FakeControlPlane.start();
    pins = tempPinDir();
    veth = tempVeth();
  });
  after(async () => {
    await cp?.close();
    veth?.remove();
    pins?.remove();
  });

  it("enforces a snapshot in the kernel, counts verdicts in /metrics, and survives a restart without a flush", async () => {
    const fx = agentFixture(cp);
    const bpffs = join(pins.dir, "agent");
    const state: NodeState = {
      ipcache: [
        { prefix: "10.10.0.11/32", identity: 1001, prefixIdentity: 0 },
        { prefix: "10.10.0.12/32", identity: 1002, prefixIdentity: 0 },
      ],
      endpoints: [
        {
          interface: veth.name,
          endpointId: 11,
          identity: 1001,
          policySetId: 1,
          ingressIsolated: true,
          egressIsolated: false,
          ingressPolicyId: 7,
          egressPolicyId: 0,
        },
      ],
      policies: [],
    };
    const start = (removeOnExit = false) =>
      fx.start({
        datapath: "bpf",
        bpffs,
        removeOnExit,
        tuning: { mapSizes: { ipcache: 1024, policies: 1024 } },
      });
    let agent: RunningAgent | undefined = await start();
    try {
      const s = await cp.nextSession();
      assert.equal(s.hello.features.tcx, true);
      s.snapshot(10, state);
      assert.deepEqual(await s.next("ack"), { type: "ack", revision: 10 });
      const held = sortedState(await agent.datapath.read());
      assert.deepEqual(withoutHost(held), enforced(state));
      assert.ok(
        held.ipcache.some((e) => e.identity === IDENTITY_HOST),
        "the node's own addresses are in the ipcache as host",
      );
      const programs = native().tcxQuery(veth.ifindex, false);
      assert.equal(programs.length, 1, "to_pod is attached on the veth's egress (traffic to the pod)");

      // A packet from 10.10.0.12 to the isolated pod has no allow entry: dropped, counted, reported.
      const dp = (agent.datapath as BpfAgentDatapath).dp;
      const r = dp.collection.program("to_pod").run(tcp("10.10.0.12", "10.10.0.11", 4000, 80), {
        ctx: skbContext(veth.ifindex),
      });
      assert.equal(r.retval, 2, "TC_ACT_SHOT");
      await eventually(async () => {
        const text = await (await fetch(`${agent!.metricsUrl}/metrics`)).text();
        return (
          /^palisade_agent_packets_total\{direction="ingress",verdict="drop",reason="DROP_POLICY_DENIED"\} 1$/m.test(
            text,
          ) &&
          /^palisade_agent_drop_events_total\{reason="DROP_POLICY_DENIED",direction="ingress",policy="7"\} 1$/m.test(
            text,
          )
        );
      }, "the drop in /metrics (counters and the drop event)");
      assert.ok(fx.logs.some((l) => l.msg === "drop" && l.policyId === 7 && l.interface === veth.name));

      await agent.stop();
      agent = undefined;
      assert.deepEqual(
        native().tcxQuery(veth.ifindex, false),
        programs,
        "still attached while no agent runs",
      );
      const during = await BpfAgentDatapath.open({ bpffs });
      const kept = sortedState(await during.read());
      await during.close();
      assert.deepEqual(kept, held, "maps kept their contents");

      agent = await start(true);
      const s2 = await cp.nextSession();
      assert.equal(s2.hello.appliedRevision, 10);
      assert.equal(agent.datapath.reused, true);
      assert.deepEqual(sortedState(await agent.datapath.read()), kept);
      assert.equal(native().tcxQuery(veth.ifindex, false).length, 1, "taken over, never detached");
      await agent.stop();
      agent = undefined;
      assert.deepEqual(native().tcxQuery(veth.ifindex, false), [], "removeOnExit detached the programs");
      assert.equal(existsSync(bpffs), false, "and removed the pins");
    } finally {
      await agent?.stop();
      fx.cleanup();
    }
  });
});

/** A read-back state without the node's own addresses (the agent adds those; the server does not). */
function withoutHost<T extends { ipcache: { identity: number }[] }>(state: T): T {
  return { ...state, ipcache: state.ipcache.filter((e) => e.identity !== IDENTITY_HOST) };
}
