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
      assert.equal(s.hello.features.flows, true, "the agent announces flows");
      s.send({
        type: "snapshot",
        revision: 10,
        state,
        names: {
          policies: [{ id: 7, kind: "NetworkPolicy", namespace: "shop", name: "deny-all" }],
          endpoints: [
            {
              endpointId: 11,
              namespace: "shop",
              name: "web",
              node: "n1",
              identity: 1001,
              labels: { app: "web" },
              addresses: ["10.10.0.11"],
            },
            {
              endpointId: 12,
              namespace: "shop",
              name: "api",
              node: "n2",
              identity: 1002,
              labels: { app: "api" },
              addresses: ["10.10.0.12"],
            },
          ],
        },
      });
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
          /^palisade_agent_drop_events_total\{reason="DROP_POLICY_DENIED",direction="ingress",namespace="shop",policy="deny-all"\} 1$/m.test(
            text,
          ) &&
          /^palisade_agent_policy_verdicts_total\{namespace="shop",policy="deny-all",direction="ingress",verdict="dropped"\} 1$/m.test(
            text,
          )
        );
      }, "the drop in /metrics (counters and the drop event, by policy name)");
      const line = fx.logs.find((l) => l.msg === "drop" && l.interface === veth.name);
      assert.deepEqual(
        [line?.endpoint, line?.src, line?.policy],
        ["shop/web", "10.10.0.12:4000 (shop/api)", "DefaultDeny (isolated by shop/deny-all)"],
      );
      const [flow] = agent.flows.ring.query({}, 10);
      assert.deepEqual(
        [
          flow?.verdict,
          flow?.reason,
          flow?.source.pod,
          flow?.destination.pod,
          flow?.destination.labels,
          flow?.policy,
        ],
        [
          "dropped",
          "POLICY_DENIED",
          "api",
          "web",
          { app: "web" },
          { kind: "DefaultDeny", isolatedBy: { kind: "NetworkPolicy", namespace: "shop", name: "deny-all" } },
        ],
      );

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
