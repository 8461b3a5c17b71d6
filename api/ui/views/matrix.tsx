// Owns the reachability matrix page: the namespaces, protocol and port to show, and the grid (rows
// are sources, columns destinations), each cell's deciding policies in its title and in text.

import type { FC } from "hono/jsx";
import type { Matrix } from "../model/matrix.ts";
import { type Frame, Layout, Scroll } from "./layout.tsx";

export const PROTOCOLS = ["TCP", "UDP", "SCTP", "ICMP", "ICMPv6"] as const;
export type MatrixProtocol = (typeof PROTOCOLS)[number];

export interface MatrixQuery {
  namespaces: string[];
  protocol: MatrixProtocol;
  port: number;
}

const MARK = { allow: "✓", deny: "✗", error: "?" } as const;

export const MatrixPage: FC<{
  frame: Omit<Frame, "title">;
  all: string[];
  query: MatrixQuery;
  matrix?: Matrix;
  problem?: string;
}> = ({ frame, all, query, matrix, problem }) => (
  <Layout title="Reachability matrix" {...frame}>
    <p>
      Who may open a connection to whom, decided by the same code as <code>POST /v1/evaluate</code> on the
      compiled state the agents enforce. Rows are sources, columns destinations.
    </p>
    <form method="get" action="/ui/matrix" class="filters">
      <fieldset>
        <legend>Namespaces</legend>
        {all.length === 0 && <p class="muted">No namespace exists yet.</p>}
        {all.map((n) => (
          <label class="check">
            <input type="checkbox" name="namespace" value={n} checked={query.namespaces.includes(n)} /> {n}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for="m-protocol">Protocol</label>
        <select id="m-protocol" name="protocol">
          {PROTOCOLS.map((p) => (
            <option value={p} selected={p === query.protocol}>
              {p}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="m-port">Port</label>
        <input id="m-port" name="port" type="number" min={0} max={65535} value={String(query.port)} />
      </div>
      <div class="field actions">
        <button type="submit">Show</button>
      </div>
    </form>
    {problem && (
      <p class="error" role="alert">
        {problem}
      </p>
    )}
    {matrix && matrix.endpoints.length === 0 && <p class="muted">No endpoint in these namespaces.</p>}
    {matrix && matrix.endpoints.length > 0 && (
      <>
        <p class="legend">
          <span class="cell allow">✓</span> allowed · <span class="cell deny">✗</span> denied ·{" "}
          <span class="cell error">?</span> no answer (e.g. no address). Hover or focus a cell for the
          deciding policies.
        </p>
        <Scroll label="Reachability matrix">
          <table class="matrix" data-testid="matrix">
            <caption>{`${query.protocol}${query.protocol.startsWith("ICMP") ? "" : ` port ${query.port}`}, from row to column`}</caption>
            <thead>
              <tr>
                <th scope="col">from \ to</th>
                {matrix.endpoints.map((e) => (
                  <th scope="col">{e}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {matrix.cells.map((row, i) => (
                <tr>
                  <th scope="row">{matrix.endpoints[i]}</th>
                  {row.map((cell) => (
                    <td
                      class={`cell ${cell.verdict}`}
                      title={cell.explanation}
                      data-source={cell.source}
                      data-destination={cell.destination}
                      data-verdict={cell.verdict}
                    >
                      <span aria-hidden="true">{MARK[cell.verdict]}</span>
                      <span class="sr-only">{`${cell.source} to ${cell.destination}: ${cell.verdict}. ${cell.explanation}`}</span>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
        <details>
          <summary>The matrix as text</summary>
          <ul data-testid="matrix-text">
            {matrix.cells.flat().map((c) => (
              <li>{`${c.source} → ${c.destination}: ${c.verdict} — ${c.explanation}`}</li>
            ))}
          </ul>
        </details>
      </>
    )}
  </Layout>
);
