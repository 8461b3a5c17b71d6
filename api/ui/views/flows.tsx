// Owns the live flows page: the flow API's filters as a form, and a table the client script fills
// from the console's relay of GET /v1/flows?follow=true (Server-Sent Events), without reloading.

import type { FC } from "hono/jsx";
import { type Frame, Layout, Scroll } from "./layout.tsx";

/** The flow API's filters (the contract in docs/console.md), passed through unchanged. */
export const FLOW_FILTERS = [
  "namespace",
  "pod",
  "from",
  "to",
  "verdict",
  "protocol",
  "port",
  "node",
  "since",
  "limit",
] as const;

export type FlowFilters = Partial<Record<(typeof FLOW_FILTERS)[number], string>>;

const Text: FC<{ name: string; label: string; value?: string; hint?: string }> = ({
  name,
  label,
  value,
  hint,
}) => (
  <div class="field">
    <label for={`f-${name}`}>{label}</label>
    <input id={`f-${name}`} name={name} value={value ?? ""} placeholder={hint} />
  </div>
);

const Choice: FC<{ name: string; label: string; value?: string; options: string[] }> = ({
  name,
  label,
  value,
  options,
}) => (
  <div class="field">
    <label for={`f-${name}`}>{label}</label>
    <select id={`f-${name}`} name={name}>
      <option value="">any</option>
      {options.map((o) => (
        <option value={o} selected={o === value}>
          {o}
        </option>
      ))}
    </select>
  </div>
);

export const FlowsPage: FC<{ frame: Omit<Frame, "title">; filters: FlowFilters }> = ({
  frame,
  filters: f,
}) => (
  <Layout title="Live flows" {...frame}>
    <form method="get" action="/ui/flows" class="filters">
      <Text name="namespace" label="Namespace" value={f.namespace} />
      <Text name="pod" label="Pod" value={f.pod} />
      <Text name="from" label="From (ns/pod)" value={f.from} />
      <Text name="to" label="To (ns/pod)" value={f.to} />
      <Choice name="verdict" label="Verdict" value={f.verdict} options={["allowed", "dropped", "audit"]} />
      <Choice
        name="protocol"
        label="Protocol"
        value={f.protocol}
        options={["TCP", "UDP", "SCTP", "ICMP", "ICMPv6"]}
      />
      <Text name="port" label="Port" value={f.port} />
      <Text name="node" label="Node" value={f.node} />
      <Text name="since" label="Since" value={f.since} hint="5m or an ISO time" />
      <Text name="limit" label="Replay first" value={f.limit} hint="20" />
      <div class="field actions">
        <button type="submit">Apply filters</button>
      </div>
    </form>
    <p id="flow-status" class="status" role="status" aria-live="polite">
      Connecting to the flow stream…
    </p>
    <p id="flow-missing" class="warn" role="status" aria-live="polite" />
    <Scroll label="Flows, newest first">
      <table id="flows" data-flow-stream={flowQuery(f)}>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Node</th>
            <th scope="col">Verdict</th>
            <th scope="col">Direction</th>
            <th scope="col">Source</th>
            <th scope="col">Destination</th>
            <th scope="col">Protocol</th>
            <th scope="col">Policy</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody />
      </table>
    </Scroll>
  </Layout>
);

/** The relay URL the client script opens: the filters given, plus follow=true. */
export function flowQuery(f: FlowFilters): string {
  const q = new URLSearchParams();
  for (const k of FLOW_FILTERS) if (f[k]) q.set(k, f[k]);
  q.set("follow", "true");
  return `/ui/api/flows?${q}`;
}
