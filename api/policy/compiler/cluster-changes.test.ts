// The cheap paths of cluster policy changes (recompute.ts, namespace-peers.ts): a changed cluster
// policy redoes only the tier entries of the remotes it names, a namespace peer is one entry per
// namespace identity. Each case checks the incremental state against a fresh compile and against
// the deltas, and names what the cheap path must keep.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FIRST_NAMESPACE_IDENTITY, namespaceMapPrefix } from "../../../wire/entries.ts";
import type { ClusterNetworkPolicy } from "../model.ts";
import { PolicyEngine } from "./engine.ts";
import type { Change } from "./object-change.ts";
import {
  allowed,
  applyToMirror,
  changesFor,
  cnp,
  compile,
  crule,
  mirrorOf,
  mirrorState,
  normalizedState,
  ns,
  pod,
  policy,
  rule,
  sel,
  type WorldObject,
} from "./testing.ts";

/** Applies changes one by one to `engine` and to a delta mirror; returns the sets recomputed. */
function applyAndCheck(engine: PolicyEngine, world: WorldObject[], changes: Change[]): number[] {
  const node = "node-a";
  const mirror = mirrorOf(engine.nodeState(node));
  const counts: number[] = [];
  for (const c of changes) {
    const result = engine.apply([c]);
    counts.push(result.setsRecomputed);
    applyToMirror(mirror, result.changes, node);
  }
  const want = normalizedState(engine.nodeState(node));
  assert.deepEqual(normalizedState(mirrorState(mirror)), want, "deltas add up to the state");
  // A fresh compile of the final objects, with the same ids (as the store reloads it).
  const fresh = new PolicyEngine({
    allocations: engine.allocationsSnapshot(),
    highWater: engine.highWater(),
  });
  fresh.apply(changesFor(finalWorld(world, changes)));
  assert.deepEqual(normalizedState(fresh.nodeState(node)), want, "incremental equals a fresh compile");
  return counts;
}

function finalWorld(world: WorldObject[], changes: Change[]): WorldObject[] {
  const out = [...world];
  for (const c of changes) {
    if (c.op !== "upsert") continue;
    const name = (o: WorldObject) => ("tier" in ("spec" in o ? o.spec : {}) ? `cnp/${o.name}` : o.name);
    const i = out.findIndex((o) => name(o) === name(c.value) && o.constructor === c.value.constructor);
    if (i >= 0) out[i] = c.value;
    else out.push(c.value);
  }
  return out;
}

const upsertCnp = (id: number, value: ClusterNetworkPolicy): Change => ({
  kind: "clusterpolicy",
  op: "upsert",
  id,
  value,
});

describe("cluster policy changes, cheap paths", () => {
  const nsA = ns("a", { env: "prod" });
  const nsB = ns("b", { env: "dev" });
  const web = pod("a", "web", { app: "web" });
  const api = pod("a", "api", { app: "api" });
  const devPod = pod("b", "tool", { app: "tool" });
  // A NetworkPolicy entry and the cluster policy's entry share the remote (api's identity).
  const np = policy("a", "web-from-api", {
    podSelector: sel({ app: "web" }),
    ingress: [rule([{ podSelector: sel({ app: "api" }) }])],
  });
  const fence = (priority: number) =>
    cnp("fence", {
      priority,
      subject: { namespaces: sel({ env: "prod" }) },
      ingress: [
        crule(
          "Accept",
          [{ pods: { namespaceSelector: sel(), podSelector: sel({ app: "api" }) } }],
          [{ protocol: "TCP", port: 8080 }],
        ),
        crule("Deny", [{ namespaces: sel({ env: "dev" }) }]),
      ],
    });
  const world = (): WorldObject[] => [nsA, nsB, web, api, devPod, np, fence(10)];
  const fenceId = world().length; // changesFor numbers in order: the fence is last

  it("a priority change keeps the NetworkPolicy entries of the remotes it shares", () => {
    const engine = compile(world());
    assert.equal(allowed(engine, api, web, "TCP", 80), true, "the NetworkPolicy allows api -> web");
    const counts = applyAndCheck(engine, world(), [
      upsertCnp(fenceId, fence(20)),
      upsertCnp(fenceId, fence(5)),
    ]);
    assert.ok(counts.every((n) => n > 0));
    assert.equal(allowed(engine, api, web, "TCP", 80), true);
    assert.equal(allowed(engine, devPod, api, "TCP", 80), false, "the Admin Deny of dev");
  });

  it("a namespace peer is one entry per namespace, and follows the namespace's labels", () => {
    const engine = compile(world());
    const webEntries = engine.nodeState("node-a").policies.filter((e) => e.tier !== undefined);
    const nsRemotes = webEntries.filter((e) => e.remoteIdentity >= FIRST_NAMESPACE_IDENTITY);
    assert.ok(nsRemotes.length > 0, "the dev peer compiles to a namespace identity");
    const devIdentity = engine.endpoints.get("b/tool")!.identity;
    const map = engine.nodeState("node-a").ipcache.find((e) => e.prefix === namespaceMapPrefix(devIdentity));
    assert.equal(map?.identity, nsRemotes[0]!.remoteIdentity, "the namespace map names b's identity");
    // b stops being dev, then a new pod joins b: neither is denied any more.
    const relabel: Change = { kind: "namespace", op: "upsert", value: ns("b", { env: "qa" }) };
    const joiner = pod("b", "joiner", { app: "tool2" });
    applyAndCheck(engine, world(), [relabel, changesFor([...world(), joiner]).at(-1)!]);
    assert.equal(allowed(engine, devPod, api, "TCP", 80), true);
    const back: Change = { kind: "namespace", op: "upsert", value: nsB };
    applyAndCheck(engine, [...world(), joiner], [back]);
    assert.equal(allowed(engine, joiner, api, "TCP", 80), false, "b is dev again: its new pod too");
  });

  it("a mode switch and a delete redo the sets whose flags move", () => {
    const engine = compile(world());
    const audited = { ...fence(10), annotations: { "palisade.dev/mode": "audit" } };
    applyAndCheck(engine, world(), [upsertCnp(fenceId, audited)]);
    assert.equal(allowed(engine, devPod, api, "TCP", 80), true, "audit mode never denies");
    applyAndCheck(engine, world(), [upsertCnp(fenceId, fence(10))]);
    assert.equal(allowed(engine, devPod, api, "TCP", 80), false);
    const del: Change = { kind: "clusterpolicy", op: "delete", name: "fence" };
    applyAndCheck(engine, world().slice(0, -1), [del]);
    assert.equal(allowed(engine, devPod, api, "TCP", 80), true);
  });

  it("refuses a pod address in the namespace map's range", () => {
    const engine = compile([nsA]);
    const bad = pod("a", "bad", {}, { ips: ["fdff:ffff:ffff:ffff:ffff:ffff:0:100"] });
    assert.throws(() => engine.apply(changesFor([bad])), { code: "endpoint.ip_conflict" });
  });
});
