// Owns the overview page: the fleet (each node's connection, applied revision, lag, last error and
// agent version), the current revision, and the recent nacks.

import type { FC } from "hono/jsx";
import type { NackRecord } from "../recent-nacks.ts";
import { type Frame, Layout, orNone, Scroll } from "./layout.tsx";

export interface NodeRow {
  name: string;
  connected: boolean;
  appliedRevision: number | null;
  /** Revisions behind the current one; null when it never applied any. */
  lag: number | null;
  lastError: string | null;
  agentVersion: string | null;
  lastSeenAt: string | null;
  endpoints: number;
}

export interface OverviewData {
  revision: number;
  agentsConnected: number;
  counts: { namespaces: number; endpoints: number; networkpolicies: number };
  nodes: NodeRow[];
  nacks: readonly NackRecord[];
}

export const OverviewPage: FC<{ frame: Omit<Frame, "title">; data: OverviewData }> = ({ frame, data }) => (
  <Layout title="Overview" {...frame}>
    <dl class="facts">
      <div>
        <dt>Current revision</dt>
        <dd data-testid="revision">{data.revision}</dd>
      </div>
      <div>
        <dt>Agents connected</dt>
        <dd data-testid="agents-connected">{`${data.agentsConnected} of ${data.nodes.length}`}</dd>
      </div>
      <div>
        <dt>Namespaces</dt>
        <dd>{data.counts.namespaces}</dd>
      </div>
      <div>
        <dt>Endpoints</dt>
        <dd>{data.counts.endpoints}</dd>
      </div>
      <div>
        <dt>Network policies</dt>
        <dd>{data.counts.networkpolicies}</dd>
      </div>
    </dl>
    <h2>Nodes</h2>
    {data.nodes.length === 0 ? (
      <p class="muted">No node is enrolled.</p>
    ) : (
      <Scroll label="Nodes">
        <table>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Connected</th>
              <th scope="col">Applied revision</th>
              <th scope="col">Lag</th>
              <th scope="col">Endpoints</th>
              <th scope="col">Last error</th>
              <th scope="col">Agent version</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {data.nodes.map((n) => (
              <tr>
                <th scope="row">{n.name}</th>
                <td>
                  <span class={n.connected ? "ok" : "bad"}>{n.connected ? "connected" : "disconnected"}</span>
                </td>
                <td>{orNone(n.appliedRevision)}</td>
                <td class={n.lag ? "warn" : undefined}>{orNone(n.lag)}</td>
                <td>{n.endpoints}</td>
                <td class="wrap">{orNone(n.lastError)}</td>
                <td>{orNone(n.agentVersion)}</td>
                <td>{orNone(n.lastSeenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    )}
    <h2>Recent nacks</h2>
    {data.nacks.length === 0 ? (
      <p class="muted">No agent refused a revision since this server started.</p>
    ) : (
      <Scroll label="Recent nacks">
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Node</th>
              <th scope="col">Revision</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {data.nacks.map((n) => (
              <tr>
                <td>{n.at}</td>
                <td>{n.node}</td>
                <td>{n.revision}</td>
                <td class="wrap">
                  <code>{n.code}</code> {n.message}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    )}
  </Layout>
);
