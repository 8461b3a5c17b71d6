// Owns the namespace list and one namespace's page: its endpoints (labels, node, addresses, the
// policies that select each) and its policies.

import type { FC } from "hono/jsx";
import type { Endpoint, NetworkPolicy } from "../../policy/model.ts";
import { type Frame, Labels, Layout, orNone, Scroll } from "./layout.tsx";

export const policyHref = (namespace: string, name: string) =>
  `/ui/namespaces/${encodeURIComponent(namespace)}/policies/${encodeURIComponent(name)}`;
export const namespaceHref = (namespace: string) => `/ui/namespaces/${encodeURIComponent(namespace)}`;

export interface NamespaceSummary {
  name: string;
  labels: Record<string, string>;
  endpoints: number;
  policies: number;
}

export const NamespacesPage: FC<{ frame: Omit<Frame, "title">; items: NamespaceSummary[] }> = ({
  frame,
  items,
}) => (
  <Layout title="Namespaces" {...frame}>
    {items.length === 0 ? (
      <p class="muted">No namespace exists yet.</p>
    ) : (
      <Scroll label="Namespaces">
        <table>
          <thead>
            <tr>
              <th scope="col">Namespace</th>
              <th scope="col">Labels</th>
              <th scope="col">Endpoints</th>
              <th scope="col">Policies</th>
            </tr>
          </thead>
          <tbody>
            {items.map((n) => (
              <tr>
                <th scope="row">
                  <a href={namespaceHref(n.name)}>{n.name}</a>
                </th>
                <td>
                  <Labels labels={n.labels} />
                </td>
                <td>{n.endpoints}</td>
                <td>{n.policies}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    )}
  </Layout>
);

export interface EndpointRow {
  endpoint: Endpoint;
  policies: NetworkPolicy[];
}

export const NamespacePage: FC<{
  frame: Omit<Frame, "title">;
  name: string;
  labels: Record<string, string>;
  endpoints: EndpointRow[];
  policies: NetworkPolicy[];
}> = ({ frame, name, labels, endpoints, policies }) => (
  <Layout title={`Namespace ${name}`} {...frame}>
    <div class="inline">
      Labels: <Labels labels={labels} />
    </div>
    <p>
      <a href={`/ui/matrix?namespace=${encodeURIComponent(name)}`}>Reachability matrix of this namespace</a>
      {" · "}
      <a href={`/ui/flows?namespace=${encodeURIComponent(name)}`}>Live flows of this namespace</a>
    </p>
    <h2>Endpoints</h2>
    {endpoints.length === 0 ? (
      <p class="muted">No endpoint in this namespace.</p>
    ) : (
      <Scroll label="Endpoints">
        <table data-testid="endpoints">
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Labels</th>
              <th scope="col">Node</th>
              <th scope="col">Addresses</th>
              <th scope="col">Selected by</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map(({ endpoint: e, policies: selecting }) => (
              <tr data-endpoint={e.name}>
                <th scope="row">{e.name}</th>
                <td>
                  <Labels labels={e.labels} />
                  {e.labelsPending && (
                    <p class="warn">labels pending: denied both ways until they are known</p>
                  )}
                </td>
                <td>{e.node}</td>
                <td>{orNone(e.ips.join(", "), "no address")}</td>
                <td>
                  {selecting.length === 0 ? (
                    <span class="muted">no policy (not isolated)</span>
                  ) : (
                    <ul class="plain">
                      {selecting.map((p) => (
                        <li>
                          <a href={policyHref(p.namespace, p.name)}>{p.name}</a>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    )}
    <h2>Network policies</h2>
    {policies.length === 0 ? (
      <p class="muted">No network policy in this namespace.</p>
    ) : (
      <ul>
        {policies.map((p) => (
          <li>
            <a href={policyHref(p.namespace, p.name)}>{p.name}</a>{" "}
            <span class="muted">{`(${p.spec.policyTypes.join(", ")})`}</span>
          </li>
        ))}
      </ul>
    )}
  </Layout>
);
