// Owns `palisade evaluate`: asks POST /v1/evaluate about one connection and prints each verdict.
import { isIP } from "node:net";
import { isRecord } from "./client.ts";
import { defineCommand, EXIT_OK } from "./command.ts";
import { connect, connectionFlags } from "./connection.ts";
import { requireValue, UsageError } from "./flags.ts";
import { outputFlag, writeStructured } from "./output.ts";
import { text } from "./table.ts";

export type Peer = { endpoint: { namespace: string; name: string } } | { ip: string };

const PROTOCOLS = ["TCP", "UDP", "SCTP", "ICMP", "ICMPv6"];
const PORTLESS = new Set(["ICMP", "ICMPv6"]);

export const evaluateCommand = defineCommand(
  {
    path: "evaluate",
    summary: "show whether policy allows a connection, and which policy and rule decide it",
    args: [],
    flags: [
      {
        name: "from",
        type: "string",
        valueName: "NS/NAME|IP",
        description: "required: source endpoint (NAMESPACE/NAME) or IP address",
      },
      {
        name: "to",
        type: "string",
        valueName: "NS/NAME|IP",
        description: "required: destination endpoint (NAMESPACE/NAME) or IP address",
      },
      {
        name: "protocol",
        type: "string",
        valueName: "PROTO",
        description: "TCP, UDP or SCTP",
        default: "TCP",
      },
      {
        name: "port",
        type: "string",
        valueName: "PORT",
        description: "destination port, 1-65535",
        default: "80",
      },
      outputFlag(["text", "json", "yaml"], "text, json or yaml"),
      ...connectionFlags,
    ],
    description: [
      "A connection is allowed only when the source's egress and the destination's ingress both allow",
      "it. Sends POST /v1/evaluate with",
      '{"source": {"endpoint": {"namespace", "name"}} or {"ip"}, "destination": ..., "protocol", "port"}.',
    ].join("\n"),
    sections: [
      {
        title: "Examples",
        lines: [
          "palisade evaluate --from prod/web --to prod/db --port 5432",
          "palisade evaluate --from 203.0.113.7 --to prod/web --protocol UDP --port 53",
        ],
      },
    ],
  },
  async (parsed, _env, io) => {
    const protocol = parseProtocol(requireValue(parsed, "protocol"));
    const body = {
      source: parsePeer("--from", requireValue(parsed, "from")),
      destination: parsePeer("--to", requireValue(parsed, "to")),
      protocol,
      // ICMP has no ports: the API ignores the port, so send 0 rather than the TCP default.
      port: PORTLESS.has(protocol) ? 0 : parsePort(requireValue(parsed, "port")),
    };
    const client = await connect(parsed, io);
    const answer = await client.request("POST", "/v1/evaluate", { json: body });
    if (!writeStructured(answer, parsed.values.output, io)) io.stdout.write(describeEvaluation(answer));
    return EXIT_OK;
  },
);

/** `prod/web` -> an endpoint, `10.0.0.5` or `fd00::5` -> an IP. */
export function parsePeer(flag: string, value: string): Peer {
  if (isIP(value) !== 0) return { ip: value };
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value);
  if (!match) {
    throw new UsageError(`${flag} must be NAMESPACE/NAME or an IP address; got ${JSON.stringify(value)}`);
  }
  return { endpoint: { namespace: match[1] ?? "", name: match[2] ?? "" } };
}

function parseProtocol(value: string): string {
  const protocol = PROTOCOLS.find((known) => known.toLowerCase() === value.toLowerCase());
  if (!protocol) {
    throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(", ")}; got ${JSON.stringify(value)}`);
  }
  return protocol;
}

function parsePort(value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(`--port must be a whole number from 1 to 65535; got ${JSON.stringify(value)}`);
  }
  return port;
}

/**
 * The overall verdict, then one line per direction: which endpoint's policy was checked, its
 * verdict, the reason, and the policy (and for an allow, the rule) that decided it.
 */
export function describeEvaluation(answer: unknown): string {
  if (!isRecord(answer)) return `${JSON.stringify(answer)}\n`;
  const revision = answer.revision !== undefined ? ` (revision ${String(answer.revision)})` : "";
  const lines = [`verdict: ${verdictOf(answer) ?? "unknown"}${revision}`];
  const rows = (["egress", "ingress"] as const).map((direction) =>
    describeDirection(direction, answer[direction]),
  );
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, detail] of rows) lines.push(`  ${label.padEnd(width)}  ${detail}`.trimEnd());
  return `${lines.join("\n")}\n`;
}

function describeDirection(direction: "egress" | "ingress", decision: unknown): [string, string] {
  const side = direction === "egress" ? "source" : "destination";
  if (!isRecord(decision)) {
    return [
      `${direction}:`,
      `not checked (the ${side} is not an endpoint, so no ${direction} policy applies)`,
    ];
  }
  const endpoint = text(decision.endpoint);
  const label = `${direction} of ${endpoint ?? side}:`;
  const verdict = verdictOf(decision) ?? "unknown";
  const details = [text(decision.reason)];
  const policy = decision.policy;
  if (isRecord(policy)) details.push(describePolicy(policy, direction, verdict, decision.ruleIndex));
  if (isRecord(decision.passedBy)) {
    details.push(`passed by ${describePolicy(decision.passedBy, direction, "allow", undefined)}`);
  }
  return [label, `${verdict.padEnd(5)}  ${details.filter((d) => d !== undefined).join(", ")}`];
}

/** `policy NS/NAME rule egress[i]`, or `clusternetworkpolicy NAME (Admin 10) rule ingress[0] "name" Deny`. */
function describePolicy(
  policy: Record<string, unknown>,
  direction: string,
  verdict: string,
  fallbackRule: unknown,
): string {
  const ruleIndex = text(policy.ruleIndex ?? fallbackRule);
  if (policy.kind === "ClusterNetworkPolicy") {
    const ruleName =
      typeof policy.ruleName === "string" && policy.ruleName !== "" ? ` "${policy.ruleName}"` : "";
    const where = `${text(policy.tier) ?? "?"} ${text(policy.priority) ?? "?"}`;
    return `clusternetworkpolicy ${text(policy.name) ?? "?"} (${where}) rule ${direction}[${ruleIndex ?? "?"}]${ruleName} ${text(policy.action) ?? ""}`.trimEnd();
  }
  const name = `${text(policy.namespace) ?? "?"}/${text(policy.name) ?? "?"}`;
  const rule = verdict === "allow" && ruleIndex !== undefined ? ` rule ${direction}[${ruleIndex}]` : "";
  return `policy ${name}${rule}`;
}

function verdictOf(decision: Record<string, unknown>): string | undefined {
  if (typeof decision.verdict === "string") return decision.verdict.toLowerCase();
  if (typeof decision.allowed === "boolean") return decision.allowed ? "allow" : "deny";
  return undefined;
}
