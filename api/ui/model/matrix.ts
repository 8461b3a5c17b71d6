// Owns the reachability matrix: every (source, destination) pair of a set of endpoints on one port
// and protocol, decided by the same Evaluator that answers POST /v1/evaluate (pure over the engine).

import { type DirectionAnswer, type EvaluateRequest, Evaluator } from "../../evaluate/evaluate.ts";
import type { PolicyEngine } from "../../policy/compiler/engine.ts";

/** Pairs grow as the square: past this many endpoints the console asks for fewer namespaces. */
export const MATRIX_MAX_ENDPOINTS = 60;

export type CellVerdict = "allow" | "deny" | "error";

export interface MatrixCell {
  source: string;
  destination: string;
  verdict: CellVerdict;
  /** Why, per direction, with the deciding policy's name: the hover text and the accessible text. */
  explanation: string;
}

export interface Matrix {
  /** `namespace/name`, in row (source) and column (destination) order. */
  endpoints: string[];
  /** cells[i][j]: from endpoints[i] to endpoints[j]. */
  cells: MatrixCell[][];
}

export function computeMatrix(
  engine: PolicyEngine,
  revision: number,
  endpoints: { namespace: string; name: string }[],
  protocol: EvaluateRequest["protocol"],
  port: number,
  evaluator: Evaluator = new Evaluator(),
): Matrix {
  const keys = endpoints.map((e) => `${e.namespace}/${e.name}`);
  const cells = endpoints.map((src, i) =>
    endpoints.map((dst, j): MatrixCell => {
      const source = keys[i]!;
      const destination = keys[j]!;
      const result = evaluator.evaluate(engine, revision, {
        source: { endpoint: src },
        destination: { endpoint: dst },
        protocol,
        port,
      });
      if (!result.ok) return { source, destination, verdict: "error", explanation: result.message };
      const parts = [
        result.egress && explain("egress", source, result.egress),
        result.ingress && explain("ingress", destination, result.ingress),
      ].filter((p): p is string => !!p);
      return { source, destination, verdict: result.verdict, explanation: parts.join("; ") };
    }),
  );
  return { endpoints: keys, cells };
}

function explain(direction: "egress" | "ingress", endpoint: string, a: DirectionAnswer): string {
  const who = `${direction} of ${endpoint}`;
  const policy = a.policy ? policyName(a.policy) : undefined;
  const rule = `rule ${a.policy?.ruleIndex ?? a.ruleIndex}`;
  switch (a.reason) {
    case "host":
      return `${who}: allowed (host traffic)`;
    case "not_isolated":
      return `${who}: allowed (not isolated)`;
    case "policy_allowed":
      return `${who}: allowed by ${policy ?? "a policy"} ${rule}`;
    case "policy_denied":
      return `${who}: denied (isolated${policy ? ` by ${policy}` : ""}, no rule matches)`;
    case "admin_accepted":
    case "baseline_accepted":
      return `${who}: allowed by ${policy ?? "a cluster policy"} ${rule}`;
    case "admin_denied":
    case "baseline_denied":
      return `${who}: denied by ${policy ?? "a cluster policy"} ${rule}`;
    case "audit":
      return `${who}: allowed, but ${policy ?? "a policy in audit mode"} ${rule} would deny it (audit)`;
  }
}

/** "ns/name" for a NetworkPolicy, "Admin/name" or "Baseline/name" for a ClusterNetworkPolicy. */
function policyName(p: NonNullable<DirectionAnswer["policy"]>): string {
  return p.kind === "ClusterNetworkPolicy" ? `${p.tier}/${p.name}` : `${p.namespace}/${p.name}`;
}
