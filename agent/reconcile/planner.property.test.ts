// Property tests of the planner: plan then apply gives the desired state, and the order never drops
// traffic that both the old and the new state allow (checked after every single entry written).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  canonicalIpcacheEntry,
  canonicalPolicyEntry,
  type Direction,
  type EndpointEntry,
  type IpcacheEntry,
  type NodeState,
  type PolicyEntry,
} from "../../wire/entries.ts";
import { PolicyIndex } from "../../wire/policy-lookup.ts";
import { endpointEntryArb, ipcacheEntryArb, policyEntryArb, SMALL_DOMAIN } from "../../wire/testing.ts";
import { sortedState } from "../datapath/datapath.case.ts";
import type { DatapathOp, DatapathState } from "../datapath/datapath.ts";
import { MemoryAgentDatapath } from "../datapath/memory.ts";
import { planReconcile } from "./planner.ts";

const { prefixes: PREFIXES } = SMALL_DOMAIN;
const INTERFACES = ["a", "b", "c"];
const REMOTES = ["10.1.2.3", "10.1.2.4", "10.1.9.9", "10.9.9.9", "192.168.1.1", "172.16.0.1"];

const ipcacheArb = fc.uniqueArray(ipcacheEntryArb(SMALL_DOMAIN), {
  selector: (e) => e.prefix,
  maxLength: PREFIXES.length,
});
const policyArb = policyEntryArb(SMALL_DOMAIN);
const endpointArb = (iface: string) => endpointEntryArb(fc.constant(iface), SMALL_DOMAIN);
const endpointsArb = fc
  .tuple(...INTERFACES.map((i) => fc.option(endpointArb(i), { nil: undefined })))
  .map((list) => list.filter((e) => e !== undefined) as EndpointEntry[]);
const stateArb: fc.Arbitrary<NodeState> = fc.record({
  ipcache: ipcacheArb,
  endpoints: endpointsArb,
  policies: fc.array(policyArb, { maxLength: 12 }),
});

/** A simulated datapath: maps by key, applied one entry at a time, calling `check` after each write. */
class SteppedState {
  ipcache = new Map<string, IpcacheEntry>();
  policies = new Map<string, PolicyEntry>();
  endpoints = new Map<string, EndpointEntry>();
  attached = new Set<string>();

  constructor(s: DatapathState) {
    for (const e of s.ipcache.map(canonicalIpcacheEntry)) this.ipcache.set(e.prefix, e);
    for (const e of s.policies.map(canonicalPolicyEntry)) this.policies.set(JSON.stringify(keyOf(e)), e);
    for (const e of s.endpoints) this.endpoints.set(e.interface, e);
    for (const i of s.attached) this.attached.add(i);
  }

  apply(ops: DatapathOp[], check: () => void): void {
    for (const s of ops) {
      const each = <T>(items: T[], f: (x: T) => void) =>
        items.forEach((x) => {
          f(x);
          check();
        });
      if (s.op === "upsert_ipcache") each(s.entries, (e) => this.ipcache.set(e.prefix, e));
      if (s.op === "remove_ipcache") each(s.prefixes, (p) => this.ipcache.delete(p));
      if (s.op === "upsert_policies")
        each(s.entries, (e) => this.policies.set(JSON.stringify(keyOf(e)), canonicalPolicyEntry(e)));
      if (s.op === "remove_policies") each(s.keys, (k) => this.policies.delete(JSON.stringify(keyOf(k))));
      if (s.op === "upsert_endpoints") each(s.entries, (e) => this.endpoints.set(e.interface, e));
      if (s.op === "remove_endpoints") each(s.interfaces, (i) => this.endpoints.delete(i));
      if (s.op === "attach") each(s.interfaces, (i) => this.attached.add(i));
      if (s.op === "detach") each(s.interfaces, (i) => this.attached.delete(i));
    }
  }

  /** Whether a new flow passes, with the datapath's own decision procedure. */
  allows(iface: string, direction: Direction, remoteIp: string, protocol: number, port: number): boolean {
    const endpoint = this.endpoints.get(iface);
    if (!this.attached.has(iface)) return true; // no programs: nothing is enforced
    if (!endpoint) return false; // programs without an endpoint entry drop everything
    const index = new PolicyIndex({
      ipcache: [...this.ipcache.values()],
      policies: [...this.policies.values()],
    });
    return index.decide({ endpoint, direction, remoteIp, protocol, port }).verdict === "allow";
  }
}

function keyOf(
  e: Pick<
    PolicyEntry,
    "policySetId" | "direction" | "remoteIdentity" | "protocol" | "port" | "portPrefixLen"
  >,
) {
  const c = canonicalPolicyEntry({ ...e, verdict: "allow", policyId: 0, ruleIndex: 0 });
  return [c.policySetId, c.direction, c.remoteIdentity, c.protocol, c.port, c.portPrefixLen];
}

const asActual = (s: NodeState): DatapathState => ({ ...s, attached: s.endpoints.map((e) => e.interface) });
const QUERIES = INTERFACES.flatMap((iface) =>
  (["ingress", "egress"] as const).flatMap((direction) =>
    REMOTES.flatMap((remote) =>
      [
        [6, 80],
        [6, 8081],
        [17, 443],
      ].map(([protocol, port]) => ({ iface, direction, remote, protocol: protocol!, port: port! })),
    ),
  ),
);

describe("reconcile planner properties", () => {
  it("plan then apply gives the desired state, and planning again gives an empty plan", async () => {
    await fc.assert(
      fc.asyncProperty(stateArb, stateArb, async (before, after) => {
        const dp = new MemoryAgentDatapath();
        await dp.apply(planReconcile(before, await dp.read()));
        await dp.apply(planReconcile(after, await dp.read()));
        const got = await dp.read();
        const want: DatapathState = {
          ipcache: after.ipcache.map(canonicalIpcacheEntry),
          policies: [
            ...new Map(
              after.policies.map((p) => [JSON.stringify(keyOf(p)), canonicalPolicyEntry(p)]),
            ).values(),
          ],
          endpoints: after.endpoints,
          attached: after.endpoints.map((e) => e.interface),
        };
        assert.deepEqual(sortedState(got), sortedState(want));
        assert.deepEqual(planReconcile(after, got), []);
      }),
      { numRuns: 300 },
    );
  });

  it("a flow that the old and the new state both allow is allowed after every single write in between", () => {
    fc.assert(
      fc.property(
        stateArb,
        stateArb,
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        (before, next, keep) => {
          // Endpoints kept unchanged are the ones the guarantee is about; the others change on purpose.
          const after = {
            ...next,
            endpoints: INTERFACES.flatMap((iface, i) => {
              const old = before.endpoints.find((e) => e.interface === iface);
              const now = next.endpoints.find((e) => e.interface === iface);
              const chosen = keep[i] && old ? old : now;
              return chosen ? [chosen] : [];
            }),
          };
          const stable = after.endpoints
            .filter(
              (e) =>
                JSON.stringify(e) ===
                JSON.stringify(before.endpoints.find((b) => b.interface === e.interface)),
            )
            .map((e) => e.interface);
          const start = new SteppedState(asActual(before));
          const end = new SteppedState(asActual(after));
          const guarded = QUERIES.filter(
            (q) =>
              stable.includes(q.iface) &&
              start.allows(q.iface, q.direction, q.remote, q.protocol, q.port) &&
              end.allows(q.iface, q.direction, q.remote, q.protocol, q.port),
          );
          const sim = new SteppedState(asActual(before));
          sim.apply(planReconcile(after, asActual(before)), () => {
            for (const q of guarded) {
              assert.ok(
                sim.allows(q.iface, q.direction, q.remote, q.protocol, q.port),
                `dropped ${JSON.stringify(q)}`,
              );
            }
            for (const i of sim.attached)
              assert.ok(sim.endpoints.has(i), `${i} is attached without an endpoint entry`);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
