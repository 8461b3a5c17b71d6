// Owns reading a flow query from the query string: every filter of GET /v1/flows checked at the
// edge (a 422 flows_query.invalid naming the parameter, the rule and the value), into the
// FlowFilter agents apply (wire/flows.ts).
import { z } from "zod";
import {
  canonicalProtocol,
  FLOW_FOLLOW_REPLAY_DEFAULT,
  FLOW_LIMIT_DEFAULT,
  FLOW_LIMIT_MAX,
  type FlowFilter,
  flowFilterSchema,
  VERDICTS,
} from "../../wire/flows.ts";
import { parseRequest } from "../http/zod-issues.ts";

const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const text = (max: number) => z.string().min(1).max(max);
const name = text(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: "must be a DNS-1123 name" });
const podRef = text(507).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
  message: "must be NAMESPACE/POD",
});

const querySchema = z.strictObject({
  namespace: name.optional(),
  pod: name.optional(),
  from: podRef.optional(),
  to: podRef.optional(),
  verdict: z.enum(VERDICTS).optional(),
  protocol: text(10)
    .refine((p) => canonicalProtocol(p) !== undefined, {
      message: "must be TCP, UDP, SCTP, ICMP, ICMPv6 or a protocol number 0-255",
    })
    .optional(),
  port: z
    .string()
    .regex(/^\d{1,5}$/, { message: "must be a port number 1-65535" })
    .refine((p) => Number(p) >= 1 && Number(p) <= 65535, { message: "must be a port number 1-65535" })
    .optional(),
  node: name.optional(),
  since: text(40)
    .refine((s) => DURATION.test(s) || (ISO.test(s) && !Number.isNaN(Date.parse(s))), {
      message: "must be an ISO 8601 time or a duration like 30s, 5m, 2h",
    })
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,6}$/, { message: `must be an integer 1-${FLOW_LIMIT_MAX}` })
    .refine((l) => Number(l) >= 1 && Number(l) <= FLOW_LIMIT_MAX, {
      message: `must be an integer 1-${FLOW_LIMIT_MAX}`,
    })
    .optional(),
  follow: z.enum(["true", "false"]).optional(),
});

export interface FlowQuery {
  filter: FlowFilter;
  limit: number;
  follow: boolean;
}

/** The query of GET /v1/flows, or a 422 flows_query.invalid; `nowMs` resolves `since=5m`. */
export function parseFlowQuery(query: Record<string, string>, nowMs: number): FlowQuery {
  const q = parseRequest("flows_query", querySchema, query);
  const follow = q.follow === "true";
  const filter: FlowFilter = {
    ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
    ...(q.pod !== undefined ? { pod: q.pod } : {}),
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
    ...(q.verdict !== undefined ? { verdict: q.verdict } : {}),
    ...(q.protocol !== undefined ? { protocol: canonicalProtocol(q.protocol)! } : {}),
    ...(q.port !== undefined ? { port: Number(q.port) } : {}),
    ...(q.node !== undefined ? { node: q.node } : {}),
    ...(q.since !== undefined ? { sinceMs: sinceMs(q.since, nowMs) } : {}),
  };
  const limit =
    q.limit !== undefined ? Number(q.limit) : follow ? FLOW_FOLLOW_REPLAY_DEFAULT : FLOW_LIMIT_DEFAULT;
  return { filter: flowFilterSchema.parse(filter), limit, follow };
}

function sinceMs(s: string, nowMs: number): number {
  const d = DURATION.exec(s);
  if (d) return Math.max(0, nowMs - Number(d[1]) * UNIT_MS[d[2]!]!);
  return Math.max(0, Date.parse(s));
}
