// Owns `palisade observe` (in the manner of `hubble observe`): recent flows from GET /v1/flows, or
// with -f the live stream (?follow=true, Server-Sent Events), as a table, JSON lines or compact
// lines; the deciding policy and rule are on every line.
import { describeNetworkError, isRecord, toApiError, UnreachableError } from "./client.ts";
import { defineCommand, EXIT_OK } from "./command.ts";
import { connect, connectionFlags, resolveConnection } from "./connection.ts";
import type { ParsedFlags } from "./flags.ts";
import type { Io } from "./io.ts";
import { outputFlag } from "./output.ts";
import { type Column, renderTable } from "./table.ts";

type FlowJson = Record<string, unknown>;

const FILTERS: [flag: string, param: string, valueName: string, description: string][] = [
  ["namespace", "namespace", "NAMESPACE", "flows from or to pods of this namespace"],
  ["pod", "pod", "POD", "flows from or to this pod (with --namespace: in that namespace)"],
  ["from", "from", "NS/POD", "flows from this pod"],
  ["to", "to", "NS/POD", "flows to this pod"],
  ["verdict", "verdict", "VERDICT", "allowed, dropped or audit"],
  ["protocol", "protocol", "PROTO", "TCP, UDP, SCTP, ICMP, ICMPv6 or a number"],
  ["port", "port", "PORT", "flows from or to this port"],
  ["node", "node", "NODE", "flows seen by this node's agent"],
  ["since", "since", "TIME", "flows at or after an ISO time, or this long ago (30s, 5m, 2h)"],
];

export const observeCommand = defineCommand(
  {
    path: "observe",
    summary: "show recent flows (new connections and drops) with the policy and rule that decided each",
    args: [],
    flags: [
      ...FILTERS.map(([name, , valueName, description]) => ({
        name,
        type: "string" as const,
        valueName,
        description,
        ...(name === "verdict" ? { choices: ["allowed", "dropped", "audit"] } : {}),
      })),
      {
        name: "limit",
        type: "string",
        valueName: "N",
        description: "the newest N matching flows (1-10000; default 100, or 20 replayed with --follow)",
      },
      {
        name: "follow",
        short: "f",
        type: "boolean",
        description: "keep streaming new flows as the agents report them (Ctrl-C stops)",
      },
      outputFlag(["table", "json", "compact"], "table, json (one flow per line) or compact"),
      ...connectionFlags,
    ],
    description: [
      "Asks the control plane, which asks every connected agent (GET /v1/flows): each agent keeps",
      "its node's recent flows in memory, named (pods, labels, policies). A node that does not",
      "answer in time is named on stderr. The filters are sent as they are and checked by the server.",
      "Flows are what the datapath reports: every drop and each new connection (sampled by",
      "`palisade agent --flow-sample`), rate-limited per CPU; established traffic is not reported.",
    ].join("\n"),
    sections: [
      {
        title: "Examples",
        lines: [
          "palisade observe --namespace shop --verdict dropped",
          "palisade observe -f --to shop/db -o compact",
          "palisade observe --since 5m --protocol UDP --port 53 -o json",
        ],
      },
    ],
  },
  async (parsed, _env, io) => {
    const query = queryOf(parsed);
    const format = parsed.values.output ?? "table";
    if (parsed.switches.has("follow")) return follow(parsed, io, query, format);
    const client = await connect(parsed, io);
    const answer = await client.request("GET", `/v1/flows${query ? `?${query}` : ""}`);
    const flows = isRecord(answer) && Array.isArray(answer.flows) ? answer.flows.filter(isRecord) : [];
    reportMissing(answer, io);
    if (format === "json") for (const f of flows) io.stdout.write(`${JSON.stringify(f)}\n`);
    else if (format === "compact") for (const f of flows) io.stdout.write(`${compactLine(f)}\n`);
    else io.stdout.write(flows.length === 0 ? "No flows found.\n" : `${renderTable(COLUMNS, flows)}\n`);
    return EXIT_OK;
  },
);

function queryOf(parsed: ParsedFlags): string {
  const q = new URLSearchParams();
  for (const [flag, param] of FILTERS) {
    const v = parsed.values[flag];
    if (v !== undefined) q.set(param, v);
  }
  if (parsed.values.limit !== undefined) q.set("limit", parsed.values.limit);
  return q.toString();
}

async function follow(parsed: ParsedFlags, io: Io, query: string, format: string): Promise<number> {
  const connection = await resolveConnection(parsed, io);
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (connection.token) headers.authorization = `Bearer ${connection.token}`;
  const url = `${connection.server}/v1/flows?follow=true${query ? `&${query}` : ""}`;
  let response: Response;
  try {
    response = await io.fetch(url, { headers });
  } catch (error) {
    throw new UnreachableError(connection.server, describeNetworkError(error), { cause: error });
  }
  if (!response.ok || !response.body) throw toApiError(response, await response.text(), connection);
  if (format === "table") io.stdout.write(`${followRow(HEADERS)}\n`);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      writeEvent(event, format, io);
    }
  }
  return EXIT_OK;
}

/** One SSE event: a flow (event: flow, data: JSON) or a comment (": missing ...", keepalive). */
function writeEvent(event: string, format: string, io: Io): void {
  const lines = event.split("\n");
  for (const l of lines) {
    if (l.startsWith(": ") && l !== ": keepalive") io.stderr.write(`palisade observe: ${l.slice(2)}\n`);
  }
  const data = lines.find((l) => l.startsWith("data: "));
  if (!data || !lines.includes("event: flow")) return;
  let f: unknown;
  try {
    f = JSON.parse(data.slice(6));
  } catch {
    return;
  }
  if (!isRecord(f)) return;
  if (format === "json") io.stdout.write(`${JSON.stringify(f)}\n`);
  else if (format === "compact") io.stdout.write(`${compactLine(f)}\n`);
  else io.stdout.write(`${followRow(COLUMNS.map((c) => c.cell(f) ?? ""))}\n`);
}

function reportMissing(answer: unknown, io: Io): void {
  const nodes = isRecord(answer) && isRecord(answer.nodes) ? answer.nodes : undefined;
  const missing = Array.isArray(nodes?.missing) ? nodes.missing.filter(isRecord) : [];
  for (const m of missing)
    io.stderr.write(`palisade observe: no answer from node ${String(m.node)} (${String(m.reason)})\n`);
}

function str(v: unknown): string {
  return typeof v === "string" || typeof v === "number" ? String(v) : "";
}

/** `ns/pod:port`, or `address:port (world)` for a peer that is no known pod. */
export function peerText(p: unknown): string {
  if (!isRecord(p)) return "";
  const port = p.port !== undefined ? `:${str(p.port)}` : "";
  if (p.pod !== undefined) return `${str(p.namespace)}/${str(p.pod)}${port}`;
  const who = p.identity ?? (p.namespace !== undefined ? `ns ${str(p.namespace)}` : undefined);
  return `${str(p.address)}${port}${who !== undefined ? ` (${str(who)})` : ""}`;
}

/** "ns/name rule 0", "default deny (ns/name)", "-" when no policy decided. */
export function policyText(p: unknown): string {
  if (!isRecord(p)) return "-";
  if (p.kind === "NetworkPolicy") return `${str(p.namespace)}/${str(p.name)} rule ${str(p.rule)}`;
  if (p.kind === "ClusterNetworkPolicy") return `cluster ${str(p.name)} rule ${str(p.rule)}`;
  if (p.kind === "DefaultDeny") {
    const by = isRecord(p.isolatedBy) ? ` (${str(p.isolatedBy.namespace)}/${str(p.isolatedBy.name)})` : "";
    return `default deny${by}`;
  }
  return `${str(p.kind)} rule ${str(p.rule)}`;
}

function timeText(t: unknown): string {
  return str(t).replace("T", " ").replace("Z", "");
}

const COLUMNS: Column[] = [
  { header: "TIME", cell: (f) => timeText(f.time) },
  { header: "NODE", cell: (f) => str(f.node) },
  { header: "VERDICT", cell: (f) => str(f.verdict).toUpperCase() },
  { header: "DIRECTION", cell: (f) => str(f.direction) },
  { header: "SOURCE", cell: (f) => peerText(f.source) },
  { header: "DESTINATION", cell: (f) => peerText(f.destination) },
  { header: "PROTOCOL", cell: (f) => str(f.protocol) },
  { header: "REASON", cell: (f) => str(f.reason) },
  { header: "POLICY", cell: (f) => policyText(f.policy) },
];
const HEADERS = COLUMNS.map((c) => c.header);
const FOLLOW_WIDTHS = [23, 10, 8, 9, 28, 28, 8, 14];

/** A table row with fixed widths (a stream cannot align on rows not seen yet). */
function followRow(cells: string[]): string {
  return cells
    .map((c, i) => (i < FOLLOW_WIDTHS.length ? c.padEnd(FOLLOW_WIDTHS[i]!) : c))
    .join(" ")
    .trimEnd();
}

/** `TIME NODE: SRC -> DST PROTO VERDICT (REASON) policy ...`, one line per flow. */
export function compactLine(f: FlowJson): string {
  return [
    `${timeText(f.time)} ${str(f.node)}:`,
    peerText(f.source),
    "->",
    peerText(f.destination),
    str(f.protocol),
    `${str(f.verdict).toUpperCase()} (${str(f.reason)})`,
    `${str(f.direction)}`,
    `policy ${policyText(f.policy)}`,
  ].join(" ");
}
