// Owns the what-if decision: would traffic from a source to a destination be allowed, decided on
// the same compiled node state that agents enforce (pure over the engine).
import { z } from "zod";
import { parseIp } from "../../wire/cidr.ts";
import { PROTO } from "../../wire/entries.ts";
import { type Decision, PolicyIndex } from "../../wire/policy-lookup.ts";
import type { PolicyEngine } from "../policy/compiler/engine.ts";
import type { EndpointRec } from "../policy/compiler/types.ts";

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

export interface DirectionAnswer extends Decision {
  node: string;
  endpoint: string;
  policy?: { namespace: string; name: string; ruleIndex: number };
}

export type EvaluateResult =
  | { ok: true; verdict: "allow" | "deny"; egress: DirectionAnswer | null; ingress: DirectionAnswer | null }
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
    return { ok: true, verdict, egress, ingress };
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
    const decision = cached.index.decide({ endpoint: entry, direction, remoteIp, protocol, port });
    const policy = [...engine.policies.values()].find((p) => p.id === decision.policyId);
    return {
      ...decision,
      node,
      endpoint: rec.key,
      ...(policy
        ? {
            policy: {
              namespace: policy.policy.namespace,
              name: policy.policy.name,
              ruleIndex: decision.ruleIndex,
            },
          }
        : {}),
    };
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

interface Resolved {
  ip: string;
  rec: EndpointRec | undefined;
}
