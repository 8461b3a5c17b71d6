// Test helpers: one flow decided by the reference semantics and by the compiled entries (the
// datapath's lookup over the compiler's node state), so each case checks both against what the
// upstream documents say.
import assert from "node:assert/strict";
import { PROTO } from "../../../wire/entries.ts";
import { type Decision, PolicyIndex } from "../../../wire/policy-lookup.ts";
import type { PolicyEngine } from "../compiler/engine.ts";
import { changesFor, compile, isClusterPolicy, type WorldObject } from "../compiler/testing.ts";
import type { Endpoint, Namespace, NetworkPolicy } from "../model.ts";
import {
  decideDirection,
  decideWithAudit,
  type FlowProtocol,
  type ReferenceVerdict,
  type World,
} from "./reference.ts";

const PROTOCOLS: Record<FlowProtocol, number> = {
  TCP: PROTO.TCP,
  UDP: PROTO.UDP,
  SCTP: PROTO.SCTP,
  ICMP: PROTO.ICMP,
};

/** The reference world of the objects; cluster policies get the ids changesFor gives them. */
export function worldOf(objects: WorldObject[]): World {
  const changes = changesFor(objects);
  const world: World = { namespaces: [], endpoints: [], policies: [], clusterPolicies: [] };
  objects.forEach((o, i) => {
    const c = changes[i]!;
    if (isClusterPolicy(o)) world.clusterPolicies.push({ id: (c as { id: number }).id, policy: o });
    else if ("spec" in o) world.policies.push(o as NetworkPolicy);
    else if ("interface" in o) world.endpoints.push(o as Endpoint);
    else world.namespaces.push(o as Namespace);
  });
  return world;
}

type Side = (ReferenceVerdict & { audit: boolean }) | null;

export interface FlowResult {
  egress: Side;
  ingress: Side;
  verdict: "allow" | "deny";
  /** Allowed, but some side would deny it with the policies in audit mode enforced. */
  audit: boolean;
}

/** Both directions of a flow by the reference semantics (an address side has no policy). */
export function referenceFlow(
  world: World,
  src: Endpoint | string,
  dst: Endpoint | string,
  protocol: FlowProtocol,
  port: number,
): FlowResult {
  const egress =
    typeof src === "string"
      ? null
      : decideWithAudit(world, { subject: src, direction: "egress", peer: dst, protocol, port });
  const ingress =
    typeof dst === "string"
      ? null
      : decideWithAudit(world, { subject: dst, direction: "ingress", peer: src, protocol, port });
  const verdict = [egress, ingress].every((v) => v === null || v.verdict === "allow") ? "allow" : "deny";
  return { egress, ingress, verdict, audit: verdict === "allow" && [egress, ingress].some((v) => v?.audit) };
}

/** The flow's verdict with the policies in audit mode enforced, by the reference and compiled. */
export function enforcedFlows(
  world: World,
  engine: PolicyEngine,
  src: Endpoint | string,
  dst: Endpoint | string,
  protocol: FlowProtocol,
  port: number,
): { reference: "allow" | "deny"; compiled: "allow" | "deny" } {
  const sides: [Endpoint, "ingress" | "egress", Endpoint | string][] = [];
  if (typeof src !== "string") sides.push([src, "egress", dst]);
  if (typeof dst !== "string") sides.push([dst, "ingress", src]);
  let reference: "allow" | "deny" = "allow";
  let compiled: "allow" | "deny" = "allow";
  for (const [subject, direction, peer] of sides) {
    if (decideDirection(world, { subject, direction, peer, protocol, port }).verdict === "deny")
      reference = "deny";
    const state = engine.nodeState(subject.node);
    const entry = state.endpoints.find((e) => e.interface === subject.interface)!;
    const proto = PROTOCOLS[protocol];
    const remoteIp = typeof peer === "string" ? peer : peer.ips[0]!;
    const q = {
      endpoint: entry,
      direction,
      remoteIp,
      protocol: proto,
      port: proto === PROTO.ICMP ? 0 : port,
    };
    if (new PolicyIndex(state).decideEnforced(q) === "deny") compiled = "deny";
  }
  return { reference, compiled };
}

/** One direction by the compiled entries of the subject's node. */
export function compiledDirection(
  engine: PolicyEngine,
  subject: Endpoint,
  direction: "ingress" | "egress",
  peer: Endpoint | string,
  protocol: FlowProtocol,
  port: number,
): Decision {
  const state = engine.nodeState(subject.node);
  const entry = state.endpoints.find((e) => e.interface === subject.interface);
  if (!entry) throw new Error(`endpoint ${subject.namespace}/${subject.name} is not compiled`);
  const remoteIp = typeof peer === "string" ? peer : peer.ips[0]!;
  const proto = PROTOCOLS[protocol];
  return new PolicyIndex(state).decide({
    endpoint: entry,
    direction,
    remoteIp,
    protocol: proto,
    port: proto === PROTO.ICMP ? 0 : port,
  });
}

export function compiledFlow(
  engine: PolicyEngine,
  src: Endpoint | string,
  dst: Endpoint | string,
  protocol: FlowProtocol,
  port: number,
): "allow" | "deny" | "audit" {
  const sides = [
    typeof src === "string" ? null : compiledDirection(engine, src, "egress", dst, protocol, port),
    typeof dst === "string" ? null : compiledDirection(engine, dst, "ingress", src, protocol, port),
  ];
  if (!sides.every((d) => d === null || d.verdict === "allow")) return "deny";
  return sides.some((d) => d?.reason === "audit") ? "audit" : "allow";
}

/** A world under test: check flows against an expectation, on the reference and the compiled path. */
export class Case {
  readonly world: World;
  readonly engine: PolicyEngine;

  constructor(readonly objects: WorldObject[]) {
    this.world = worldOf(objects);
    this.engine = compile(objects);
  }

  expect(
    src: Endpoint | string,
    dst: Endpoint | string,
    expected: "allow" | "deny" | "audit",
    protocol: FlowProtocol = "TCP",
    port = 80,
  ): FlowResult {
    const name = (x: Endpoint | string) => (typeof x === "string" ? x : `${x.namespace}/${x.name}`);
    const what = `${name(src)} -> ${name(dst)} ${protocol}/${port}`;
    const ref = referenceFlow(this.world, src, dst, protocol, port);
    assert.equal(ref.audit ? "audit" : ref.verdict, expected, `reference: ${what}`);
    assert.equal(compiledFlow(this.engine, src, dst, protocol, port), expected, `compiled: ${what}`);
    return ref;
  }
}
