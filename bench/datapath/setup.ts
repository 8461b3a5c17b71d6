// Owns the test-run benchmarks' setup: a datapath loaded with N unrelated policy entries plus the
// measured endpoint (isolated both ways), its peer and the allow entries the measured packets hit,
// and those packets. Shared by run.ts and compare.ts so both measure the same thing.
import { BpfDatapath } from "../../bpf/lib/datapath.ts";
import { applyEndpoints, applyIpcache, applyPolicies } from "../../bpf/lib/datapath-maps.ts";
import { buildPacket, TCP_FLAGS } from "../../bpf/lib/testing/packet.ts";
import { PROTO } from "../../wire/entries.ts";
import { policyEntries } from "./entries.ts";

export const POD = "10.1.0.10";
export const PEER = "10.1.0.20";
const ID_POD = 300;
const ID_PEER = 301;

/** A datapath with `n` unrelated policy entries plus the measured endpoint, peer and allow entries. */
export async function loadWith(n: number, ifindex: number, objectPath?: string): Promise<BpfDatapath> {
  const dp = await BpfDatapath.load({
    objectPath,
    sizes: { policies: n + 20_000, ipcache: 20_000, conntrack: 1 << 20 },
    events: { eventRate: 0, eventBurst: 0 },
  });
  const c = dp.collection;
  await applyPolicies(c, { upsert: policyEntries(n) });
  await applyIpcache(c, {
    upsert: [
      { prefix: `${PEER}/32`, identity: ID_PEER, prefixIdentity: 0 },
      { prefix: `${POD}/32`, identity: ID_POD, prefixIdentity: 0 },
    ],
  });
  const entry = {
    endpointId: 1,
    identity: ID_POD,
    policySetId: 1,
    ingressIsolated: true,
    egressIsolated: true,
    ingressPolicyId: 9,
    egressPolicyId: 9,
  };
  await applyEndpoints(c, { upsert: [{ ifindex, entry }] });
  // Ports 80 and 443 allowed through the wildcard identity: the worst case, three policy lookups.
  const allow = (port: number) => ({
    policySetId: 1,
    direction: "egress" as const,
    remoteIdentity: 0,
    protocol: PROTO.TCP,
    port,
    portPrefixLen: 16,
    verdict: "allow" as const,
    policyId: 5,
    ruleIndex: 0,
  });
  await applyPolicies(c, { upsert: [allow(80), allow(443)] });
  return dp;
}

/** The measured packets, all from the pod (from_pod): see README.md for what each case runs. */
export const packets = {
  established: buildPacket({
    src: POD,
    dst: PEER,
    protocol: PROTO.TCP,
    srcPort: 40000,
    dstPort: 80,
    tcpFlags: TCP_FLAGS.ACK,
    payload: 64,
  }),
  /** Creates the flow `established` belongs to; repeated, a new connection on a reused tuple. */
  syn: buildPacket({ src: POD, dst: PEER, protocol: PROTO.TCP, srcPort: 40000, dstPort: 80 }),
  denied: buildPacket({ src: POD, dst: PEER, protocol: PROTO.TCP, srcPort: 40001, dstPort: 81, payload: 64 }),
  /** For the PAL_BENCH_NEW_FLOWS build, which adds one to the source address at each repetition:
   * each round starts at a fresh /15 (room for 100,000 repetitions), so no repetition finds a
   * conntrack entry. */
  newFlow: (round: number) =>
    buildPacket({
      src: `10.${100 + 2 * round}.0.1`,
      dst: PEER,
      protocol: PROTO.TCP,
      srcPort: 1024,
      dstPort: 443,
      payload: 64,
    }),
};
