// Datapath benchmark of the ClusterNetworkPolicy tiers (not a test; root only): the cost of a new
// flow's decision with the tier lookups, side by side in one run with the program as it was
// before tiers (built from the commit given by --base-object), interleaved, against an empty
// program's floor; and the base object loaded with the same tier entries (when the base already has
// tiers: the cost of what changed since). Usage:
//   git archive <base> bpf | tar -x -C /tmp/base && make -C /tmp/base/bpf build/policy_bench.bpf.o
//   node --import tsx bench/datapath/tiers.ts --base-object /tmp/base/bpf/build/policy_bench.bpf.o
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { skbContext } from "../../bpf/lib/codecs/skb.ts";
import { loadCollection } from "../../bpf/lib/collection.ts";
import { BpfDatapath } from "../../bpf/lib/datapath.ts";
import { applyEndpoints, applyIpcache, applyPolicies } from "../../bpf/lib/datapath-maps.ts";
import { kernelTestSkipReason } from "../../bpf/lib/features.ts";
import { EMPTY_OBJECT, native, POLICY_BENCH_OBJECT } from "../../bpf/lib/native.ts";
import type { Program } from "../../bpf/lib/program.ts";
import { loadCollectionSpec } from "../../bpf/lib/spec.ts";
import { buildPacket } from "../../bpf/lib/testing/packet.ts";
import {
  FIRST_NAMESPACE_IDENTITY,
  IDENTITY_ANY_POD,
  namespaceMapPrefix,
  type PolicyEntry,
  PROTO,
} from "../../wire/entries.ts";
import { policyEntries } from "./entries.ts";

const { values } = parseArgs({
  options: { "base-object": { type: "string" }, rounds: { type: "string", default: "7" } },
});
const REPEAT = 100_000;
const ROUNDS = Number(values.rounds);
const POD = "10.1.0.10";
const NAMESPACE = FIRST_NAMESPACE_IDENTITY + 1;
const PEER = "10.1.0.20";

type Setup = "np" | "tiers";

/** 10,000 unrelated entries, the endpoint isolated both ways, TCP 443 allowed to any identity; with
 * `tiers`, Admin and Baseline entries for the set that the measured flow does not match (the
 * lookups all run and miss: the most a flow without a tier decision pays). */
async function load(objectPath: string, setup: Setup, ifindex: number): Promise<BpfDatapath> {
  const dp = await BpfDatapath.load({
    objectPath,
    sizes: { policies: 40_000, ipcache: 1_000, conntrack: 1 << 20 },
    events: { eventRate: 0, eventBurst: 0 },
  });
  const c = dp.collection;
  await applyPolicies(c, { upsert: policyEntries(10_000) });
  await applyIpcache(c, {
    upsert: [
      { prefix: "10.0.0.0/8", identity: 2, prefixIdentity: 0x0100_0001 },
      { prefix: `${PEER}/32`, identity: 301, prefixIdentity: 0x0100_0001 },
      { prefix: `${POD}/32`, identity: 300, prefixIdentity: 0x0100_0001 },
      // The peer's namespace (its namespace-map entry): a program with namespace identities
      // probes the tiers under it too; one from before ignores the entry.
      ...(setup === "tiers"
        ? [{ prefix: namespaceMapPrefix(301), identity: NAMESPACE, prefixIdentity: 0 }]
        : []),
    ],
  });
  const entry = {
    endpointId: 1,
    identity: 300,
    policySetId: 1,
    ingressIsolated: true,
    egressIsolated: true,
    ingressPolicyId: 9,
    egressPolicyId: 9,
  };
  await applyEndpoints(c, { upsert: [{ ifindex, entry }] });
  const base = {
    policySetId: 1,
    direction: "egress" as const,
    protocol: PROTO.TCP,
    portPrefixLen: 16,
    ruleIndex: 0,
  };
  const entries: PolicyEntry[] = [{ ...base, remoteIdentity: 0, port: 443, verdict: "allow", policyId: 5 }];
  if (setup === "tiers") {
    for (const [tier, remote] of [
      ["admin", 301],
      ["admin", 0x0100_0001],
      ["admin", IDENTITY_ANY_POD],
      ["admin", NAMESPACE],
      ["baseline", 301],
    ] as const) {
      entries.push({
        ...base,
        remoteIdentity: remote,
        port: 22,
        verdict: "deny",
        policyId: 0x4000_0001,
        tier,
        priority: 5,
      });
    }
  }
  await applyPolicies(c, { upsert: entries });
  return dp;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const skip = kernelTestSkipReason();
  if (skip) throw new Error(`cannot benchmark: ${skip}`);
  const baseObject = values["base-object"];
  if (!baseObject)
    throw new Error("--base-object PATH (the policy_bench.bpf.o of the commit before tiers) is required");
  const veth = `pt${process.pid % 100000}`;
  spawnSync("ip", ["link", "add", veth, "type", "veth", "peer", "name", `${veth}p`]);
  try {
    const ifindex = native().ifIndex(veth);
    const ctx = skbContext(ifindex);
    const empty = await loadCollection(loadCollectionSpec(EMPTY_OBJECT));
    const dps = {
      before: await load(baseObject, "np", ifindex),
      tiersEmpty: await load(POLICY_BENCH_OBJECT, "np", ifindex),
      tiersLoaded: await load(POLICY_BENCH_OBJECT, "tiers", ifindex),
      // The base object with the same tier entries: the cost of what changed since it, when the
      // base already had tiers (issue 13's namespace identities: --base-object of main before them).
      baseLoaded: await load(baseObject, "tiers", ifindex),
    };
    const progs: Record<string, Program> = {
      floor: empty.program("pass_all"),
      before: dps.before.collection.program("from_pod"),
      tiersEmpty: dps.tiersEmpty.collection.program("from_pod"),
      tiersLoaded: dps.tiersLoaded.collection.program("from_pod"),
      baseLoaded: dps.baseLoaded.collection.program("from_pod"),
    };
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(progs).map((k) => [k, []]));
    let round = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, prog] of Object.entries(progs)) {
        // A fresh /16 per measurement: the bench build bumps the source address per repetition.
        const frame = buildPacket({
          src: `10.${100 + (round++ % 150)}.0.1`,
          dst: PEER,
          protocol: PROTO.TCP,
          srcPort: 1024,
          dstPort: 443,
          payload: 64,
        });
        samples[name]!.push(prog.run(frame, { ctx, repeat: REPEAT }).durationNs);
      }
    }
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    console.log(`new allowed flow, ns/packet, median of ${ROUNDS} interleaved rounds of ${REPEAT}`);
    console.log(`floor (empty program)                          ${m.floor!.toFixed(1)}`);
    console.log(
      `base object, no tier entries                  ${m.before!.toFixed(1)} (+${(m.before! - m.floor!).toFixed(1)})`,
    );
    console.log(
      `with tiers, no tier entries for the endpoint   ${m.tiersEmpty!.toFixed(1)} (${(m.tiersEmpty! - m.before!).toFixed(1)} vs before)`,
    );
    console.log(
      `with tiers, Admin+Baseline entries (all miss)  ${m.tiersLoaded!.toFixed(1)} (${(m.tiersLoaded! - m.before!).toFixed(1)} vs before)`,
    );
    console.log(
      `base object, the same tier entries             ${m.baseLoaded!.toFixed(1)} (current ${(m.tiersLoaded! - m.baseLoaded!).toFixed(1)} vs it)`,
    );
    for (const dp of Object.values(dps)) dp.close();
    empty.close();
  } finally {
    spawnSync("ip", ["link", "del", veth]);
  }
}

await main();
