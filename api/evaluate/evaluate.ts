// Owns the what-if decision: would traffic from a source to a destination be allowed, decided on
// the same compiled node state that agents enforce (pure over the engine).
import { z } from "zod";
import { parseIp } from "../../wire/cidr.ts";
import { PROTO } from "../../wire/entries.ts";
import { type Decision, PolicyIndex } from "../../wire/policy-lookup.ts";
import type { PolicyEngine } from "../policy/compiler/engine.ts";
import type { EndpointRec, PolicyRec } from "../policy/compiler/types.ts";

const peer = z.union([
  z.strictObject({ endpoint: z.strictObject({ namespace: z.string().min(1), name: z.string().min(1) }) }),
  z.strictObject({ ip: z.string().refine((s) => parseIp(s) !== null, "must be an IPv4 or IPv6 address") }),
]);

export const evaluateRequestSchema = z.strictObject({
  source: peer,
  destination: peer,
  protocol: z.enum(["TCP", "UDP", "SCTP", "ICMP", "ICMPv6"]).default("TCP"),
  port: z.number().int().min(0).max(65535).default(0),
});

export type EvaluateRequest = z.infer<typeof evaluateRequestSchema>;

const PROTOCOLS = {
  TCP: PROTO.TCP,
  UDP: PROTO.UDP,
  SCTP: PROTO.SCTP,
  ICMP: PROTO.ICMP,
  ICMPv6: PROTO.ICMPV6,
};

/** The policy and rule behind a decision, by name: a NetworkPolicy, or a ClusterNetworkPolicy with its tier. */
export type PolicyRef =
  | { kind: "NetworkPolicy"; namespace: string; name: string; ruleIndex: number }
  | {
      kind: "ClusterNetworkPolicy";
      name: string;
      tier: "Admin" | "Baseline";
      priority: number;
      ruleIndex: number;
      /** The rule's `name` ("" when it has none). */
      ruleName: string;
      action: "Accept" | "Deny" | "Pass";
    };

export interface DirectionAnswer extends Omit<Decision, "passed"> {
  node: string;
  endpoint: string;
  /** The verdict with the policies in audit mode enforced. */
  enforcedVerdict: "allow" | "deny";
  policy?: PolicyRef;
  /** An Admin Pass rule that handed the decision on to NetworkPolicy (and Baseline). */
  passedBy?: PolicyRef;
}

export type EvaluateResult =
  | {
      ok: true;
      /** As deployed: policies in audit mode do not decide. */
      verdict: "allow" | "deny";
      /** With the policies in audit mode enforced (`deny` where a direction answers `audit`). */
      enforcedVerdict: "allow" | "deny";
      egress: DirectionAnswer | null;
      ingress: DirectionAnswer | null;
    }
  | { ok: false; code: EvaluateErrorCode; message: string };

/** Why an evaluation has no answer (each is declared, with its status, in api/http/error-codes.ts). */
export type EvaluateErrorCode = "endpoint.not_found" | "endpoint.no_address";

export class Evaluator {
  private cache = new Map<string, { revision: number; index: PolicyIndex }>();

  evaluate(engine: PolicyEngine, revision: number, req: EvaluateRequest): EvaluateResult {
    const src = this.resolve(engine, req.source);
    const dst = this.resolve(engine, req.destination);
    for (const side of [src, dst]) if ("code" in side) return { ok: false, ...side };
    const s = src as Resolved;
    const d = dst as Resolved;
    const proto = PROTOCOLS[req.protocol];
    const port = proto === PROTO.ICMP || proto === PROTO.ICMPV6 ? 0 : req.port;
    const egress = s.rec ? this.decide(engine, revision, s.rec, "egress", d.ip, proto, port) : null;
    const ingress = d.rec ? this.decide(engine, revision, d.rec, "ingress", s.ip, proto, port) : null;
    const verdict = [egress, ingress].every((a) => a === null || a.verdict === "allow") ? "allow" : "deny";
    const enforcedVerdict = [egress, ingress].every((a) => a === null || a.enforcedVerdict === "allow")
      ? "allow"
      : "deny";
    return { ok: true, verdict, enforcedVerdict, egress, ingress };
  }

  private decide(
    engine: PolicyEngine,
    revision: number,
    rec: EndpointRec,
    direction: "ingress" | "egress",
    remoteIp: string,
    protocol: number,
    port: number,
  ): DirectionAnswer {
    const node = rec.endpoint.node;
    let cached = this.cache.get(node);
    if (!cached || cached.revision !== revision) {
      cached = { revision, index: new PolicyIndex(engine.nodeState(node)) };
      this.cache.set(node, cached);
    }
    const entry = engine.nodeState(node).endpoints.find((e) => e.interface === rec.endpoint.interface)!;
    const query = { endpoint: entry, direction, remoteIp, protocol, port };
    const { passed, ...decision } = cached.index.decide(query);
    const enforcedVerdict = cached.index.decideEnforced(query);
    const answer: DirectionAnswer = { ...decision, node, endpoint: rec.key, enforcedVerdict };
    const policy = policyRef(engine, direction, decision.policyId, decision.ruleIndex);
    if (policy) answer.policy = policy;
    const passedBy = passed && policyRef(engine, direction, passed.policyId, passed.ruleIndex);
    if (passedBy) answer.passedBy = passedBy;
    return answer;
  }

  private resolve(
    engine: PolicyEngine,
    p: EvaluateRequest["source"],
  ): Resolved | { code: EvaluateErrorCode; message: string } {
    if ("ip" in p) return { ip: p.ip, rec: engine.endpointByIp(p.ip) };
    const rec = engine.endpoints.get(`${p.endpoint.namespace}/${p.endpoint.name}`);
    if (!rec)
      return {
        code: "endpoint.not_found",
        message: `endpoint ${p.endpoint.namespace}/${p.endpoint.name} does not exist`,
      };
    const ip = rec.endpoint.ips[0];
    if (!ip) return { code: "endpoint.no_address", message: `endpoint ${rec.key} has no address` };
    return { ip, rec };
  }
}

/** Names the policy (and rule) an id in a decision stands for. */
function policyRef(
  engine: PolicyEngine,
  direction: "ingress" | "egress",
  policyId: number,
  ruleIndex: number,
): PolicyRef | undefined {
  if (policyId === 0) return undefined;
  let rec: PolicyRec | undefined;
  for (const p of engine.policies.values()) {
    if (p.id === policyId) {
      rec = p;
      break;
    }
  }
  if (!rec) return undefined;
  if (!rec.cluster) {
    return { kind: "NetworkPolicy", namespace: rec.policy.namespace, name: rec.policy.name, ruleIndex };
  }
  const spec = rec.cluster.object.spec;
  const rule = (direction === "ingress" ? spec.ingress : spec.egress)[ruleIndex];
  return {
    kind: "ClusterNetworkPolicy",
    name: rec.cluster.name,
    tier: spec.tier,
    priority: spec.priority,
    ruleIndex,
    ruleName: rule?.name ?? "",
    action: rule?.action ?? "Deny",
  };
}

interface Resolved {
  ip: string;
  rec: EndpointRec | undefined;
}
