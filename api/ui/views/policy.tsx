// Owns a policy's page: its YAML as submitted, the endpoints it selects, each rule's peers (and the
// endpoints they match now) and ports, and live allowed/dropped counts from the flow API.

import type { FC } from "hono/jsx";
import type { Endpoint, NetworkPolicy } from "../../policy/model.ts";
import type { RuleView } from "../model/selection.ts";
import { type Frame, Layout, Scroll } from "./layout.tsx";
import { namespaceHref } from "./namespaces.tsx";

export const PolicyPage: FC<{
  frame: Omit<Frame, "title">;
  policy: NetworkPolicy;
  yaml: string;
  selects: Endpoint[];
  selector: string;
  rules: RuleView[];
}> = ({ frame, policy, yaml, selects, selector, rules }) => (
  <Layout title={`Policy ${policy.namespace}/${policy.name}`} {...frame}>
    <p>
      In namespace <a href={namespaceHref(policy.namespace)}>{policy.namespace}</a>; policy types{" "}
      {policy.spec.policyTypes.join(", ")}; pod selector <code>{selector}</code>.
    </p>
    <h2>Verdicts in the last hour</h2>
    <dl
      class="facts"
      data-policy-counts=""
      data-namespace={policy.namespace}
      data-name={policy.name}
      aria-live="polite"
    >
      <div>
        <dt>Allowed</dt>
        <dd data-count="allowed">n/a</dd>
      </div>
      <div>
        <dt>Dropped</dt>
        <dd data-count="dropped">n/a</dd>
      </div>
    </dl>
    <p class="muted" data-count-note="">
      Counted from the flow API (the flows the agents still hold); n/a when it does not answer.
    </p>
    <h2>Endpoints it selects</h2>
    {selects.length === 0 ? (
      <p class="muted">It selects no endpoint now.</p>
    ) : (
      <ul data-testid="selects">
        {selects.map((e) => (
          <li>{`${e.namespace}/${e.name}`}</li>
        ))}
      </ul>
    )}
    <h2>Rules and peers</h2>
    {rules.length === 0 ? (
      <p class="muted">
        No rules: the selected endpoints are isolated in its policy types with nothing allowed.
      </p>
    ) : (
      <Scroll label="Rules">
        <table data-testid="rules">
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Peers</th>
              <th scope="col">Endpoints matched now</th>
              <th scope="col">Ports</th>
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr>
                <th scope="row">{`${r.direction} ${r.index}`}</th>
                <td class="wrap">
                  {r.peers.length === 0 ? (
                    "every peer"
                  ) : (
                    <ul class="plain">
                      {r.peers.map((p) => (
                        <li>{p.text}</li>
                      ))}
                    </ul>
                  )}
                </td>
                <td class="wrap">
                  {r.peers.length === 0
                    ? "all"
                    : r.peers
                        .flatMap((p) => p.endpoints.map((e) => `${e.namespace}/${e.name}`))
                        .join(", ") || <span class="muted">none</span>}
                </td>
                <td>{r.ports.length === 0 ? "every port and protocol" : r.ports.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    )}
    <h2>YAML</h2>
    <pre class="yaml" data-testid="yaml">
      <code>{yaml}</code>
    </pre>
  </Layout>
);
