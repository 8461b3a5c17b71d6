// Owns the console's pages (all GET, all read-only): each gathers its data from the store, the
// compiled objects and the sync hub, in process, and renders a view.

import { type Context, Hono } from "hono";
import { stringify } from "yaml";
import type { Deps } from "../deps.ts";
import { Evaluator } from "../evaluate/evaluate.ts";
import { countObjects, getPolicy } from "../store/reads.ts";
import type { ConsoleEnv } from "./guard.ts";
import { computeMatrix, MATRIX_MAX_ENDPOINTS } from "./model/matrix.ts";
import {
  endpointsIn,
  endpointsSelectedBy,
  policiesSelecting,
  rulesOf,
  selectorText,
} from "./model/selection.ts";
import { FLOW_FILTERS, type FlowFilters, FlowsPage } from "./views/flows.tsx";
import type { Frame } from "./views/layout.tsx";
import { MatrixPage, type MatrixProtocol, type MatrixQuery, PROTOCOLS } from "./views/matrix.tsx";
import { NamespacePage, NamespacesPage } from "./views/namespaces.tsx";
import { type NodeRow, OverviewPage } from "./views/overview.tsx";
import { PolicyPage } from "./views/policy.tsx";
import { ErrorPage } from "./views/sign-in.tsx";

export function pageRoutes(deps: Deps) {
  const { store, hub, nodes } = deps;
  const app = new Hono<ConsoleEnv>();
  // One evaluator for every matrix: it caches each node's policy index per revision, as the route does.
  const evaluator = new Evaluator();
  // Every page reads the engine: none is drawn (or cached) from a write paused half applied.
  app.use("*", async (_c, next) => {
    await store.gate.settled();
    await next();
  });

  app.get("/", (c) => {
    const revision = store.revision();
    const rows: NodeRow[] = nodes.list().map((n) => {
      const session = hub.sessions.get(n.name);
      const applied = session?.appliedRevision ?? n.appliedRevision;
      return {
        name: n.name,
        connected: !!session,
        appliedRevision: applied,
        lag: applied === null ? null : Math.max(0, revision - applied),
        lastError: n.lastError,
        agentVersion: n.agentVersion,
        lastSeenAt: n.lastSeenAt,
        endpoints: store.engine.nodes.has(n.name) ? store.engine.nodeState(n.name).endpoints.length : 0,
      };
    });
    const data = {
      revision,
      agentsConnected: hub.sessions.size,
      counts: countObjects(store.db),
      nodes: rows,
      nacks: deps.recentNacks.list(),
    };
    return c.html(<OverviewPage frame={frame(c, "overview")} data={data} />);
  });

  app.get("/namespaces", (c) => {
    const engine = store.engine;
    const items = [...engine.namespaces.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((n) => ({
        name: n.name,
        labels: n.labels,
        endpoints: endpointsIn(engine, n.name).length,
        policies: [...engine.policies.values()].filter((p) => p.policy.namespace === n.name).length,
      }));
    return c.html(<NamespacesPage frame={frame(c, "namespaces")} items={items} />);
  });

  app.get("/namespaces/:ns", (c) => {
    const engine = store.engine;
    const ns = engine.namespaces.get(c.req.param("ns"));
    if (!ns) return notFound(c, `There is no namespace ${c.req.param("ns")}.`);
    const endpoints = endpointsIn(engine, ns.name).map((e) => ({
      endpoint: e,
      policies: policiesSelecting(engine, e),
    }));
    const policies = [...engine.policies.values()]
      .map((p) => p.policy)
      .filter((p) => p.namespace === ns.name)
      .sort((a, b) => a.name.localeCompare(b.name));
    return c.html(
      <NamespacePage
        frame={frame(c, "namespaces")}
        name={ns.name}
        labels={ns.labels}
        endpoints={endpoints}
        policies={policies}
      />,
    );
  });

  app.get("/namespaces/:ns/policies/:name", (c) => {
    const { ns, name } = c.req.param();
    const rec = store.engine.policies.get(`${ns}/${name}`);
    const stored = getPolicy(store.db, ns, name);
    if (!rec || !stored) return notFound(c, `There is no network policy ${ns}/${name}.`);
    const policy = rec.policy;
    return c.html(
      <PolicyPage
        frame={frame(c, "namespaces")}
        policy={policy}
        yaml={stringify(stored.submitted)}
        selects={endpointsSelectedBy(store.engine, policy)}
        selector={selectorText(policy.spec.podSelector)}
        rules={rulesOf(store.engine, policy)}
      />,
    );
  });

  app.get("/flows", (c) => {
    const filters: FlowFilters = {};
    for (const k of FLOW_FILTERS) {
      const v = c.req.query(k);
      if (v) filters[k] = v;
    }
    return c.html(<FlowsPage frame={frame(c, "flows")} filters={filters} />);
  });

  app.get("/matrix", (c) => {
    const engine = store.engine;
    const all = [...engine.namespaces.keys()].sort();
    const chosen = [...new Set(c.req.queries("namespace") ?? [])];
    const protocolText = c.req.query("protocol") ?? "TCP";
    const portText = c.req.query("port") ?? "80";
    const query: MatrixQuery = { namespaces: chosen, protocol: "TCP", port: 80 };
    const render = (problem?: string, matrix?: ReturnType<typeof computeMatrix>) =>
      c.html(
        <MatrixPage frame={frame(c, "matrix")} all={all} query={query} problem={problem} matrix={matrix} />,
        problem ? 400 : 200,
      );
    if (!(PROTOCOLS as readonly string[]).includes(protocolText))
      return render(`Protocol must be one of ${PROTOCOLS.join(", ")}; got ${JSON.stringify(protocolText)}.`);
    query.protocol = protocolText as MatrixProtocol;
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(port >= 0 && port <= 65535))
      return render(`Port must be a whole number from 0 to 65535; got ${JSON.stringify(portText)}.`);
    query.port = port;
    if (chosen.length === 0) return render();
    const unknown = chosen.filter((n) => !engine.namespaces.has(n));
    if (unknown.length > 0) return render(`No such namespace: ${unknown.join(", ")}.`);
    const endpoints = chosen.flatMap((n) => endpointsIn(engine, n));
    if (endpoints.length > MATRIX_MAX_ENDPOINTS)
      return render(
        `These namespaces hold ${endpoints.length} endpoints; the matrix draws at most ${MATRIX_MAX_ENDPOINTS}. Choose fewer namespaces.`,
      );
    return render(
      undefined,
      computeMatrix(engine, store.revision(), endpoints, query.protocol, port, evaluator),
    );
  });

  return app;
}

function frame(c: Context<ConsoleEnv>, current?: Frame["current"]): Omit<Frame, "title"> {
  const s = c.get("session");
  return { current, signedIn: { scope: s.scope, csrf: s.csrf } };
}

function notFound(c: Context<ConsoleEnv>, message: string) {
  c.status(404);
  return c.html(<ErrorPage title="Not found" message={message} frame={frame(c)} />);
}
