// Owns the agent's REST calls for the CNI path: its own node's endpoints, written with its node
// credential. Failures become CNI errors: unreachable or 5xx -> try again later (11), a refusal
// (409 endpoint.managed, 422, ...) -> 100 with the control plane's message.
import { CNI_CODE, CniError } from "./errors.ts";

export interface EndpointBody {
  labels: Record<string, string>;
  node: string;
  interface: string;
  ips: string[];
  workload: { runtime: string; containerId: string; netns: string };
  labelsPending?: boolean;
  ports?: { name: string; port: number; protocol: "TCP" | "UDP" | "SCTP" }[];
}

export interface StoredEndpoint extends EndpointBody {
  namespace: string;
  name: string;
  managedBy?: string;
}

export interface EndpointsApi {
  put(namespace: string, name: string, body: EndpointBody, replaces?: string): Promise<{ revision: number }>;
  get(namespace: string, name: string): Promise<StoredEndpoint | null>;
  /**
   * null when there was nothing to delete. With `containerId`, only while the endpoint still
   * belongs to that container (null when another container holds it now).
   */
  delete(namespace: string, name: string, containerId?: string): Promise<{ revision: number } | null>;
  /** Every endpoint on this node (all namespaces, whoever manages them). */
  listOwn(): Promise<StoredEndpoint[]>;
}

export interface EndpointsClientOptions {
  server: string;
  node: string;
  /** The current node credential (it rotates). */
  credential: () => string;
  timeoutMs?: number;
}

export function endpointsClient(o: EndpointsClientOptions): EndpointsApi {
  const base = o.server.replace(/\/+$/, "");
  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${o.credential()}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new CniError(
        CNI_CODE.tryAgainLater,
        `the palisade control plane at ${base} is not reachable`,
        e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e),
      );
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed };
  }
  const refused = (what: string, r: { status: number; body: unknown }): CniError => {
    const err = (r.body as { error?: { code?: string; message?: string } } | null)?.error;
    const message = `${what}: ${err?.code ?? `HTTP ${r.status}`}: ${err?.message ?? String(r.body).slice(0, 200)}`;
    return new CniError(r.status >= 500 ? CNI_CODE.tryAgainLater : CNI_CODE.refused, message);
  };
  const path = (ns: string, name: string) =>
    `/v1/namespaces/${encodeURIComponent(ns)}/endpoints/${encodeURIComponent(name)}`;
  return {
    async put(ns, name, body, replaces) {
      const query = replaces ? `?replaces=${encodeURIComponent(replaces)}` : "";
      const r = await call("PUT", `${path(ns, name)}${query}`, body);
      if (r.status !== 200 && r.status !== 201) throw refused(`endpoint ${ns}/${name} was refused`, r);
      return { revision: (r.body as { revision: number }).revision };
    },
    async get(ns, name) {
      const r = await call("GET", path(ns, name));
      if (r.status === 404) return null;
      if (r.status !== 200) throw refused(`reading endpoint ${ns}/${name} failed`, r);
      return r.body as StoredEndpoint;
    },
    async delete(ns, name, containerId) {
      const query = containerId ? `?containerId=${encodeURIComponent(containerId)}` : "";
      const r = await call("DELETE", `${path(ns, name)}${query}`);
      const code = (r.body as { error?: { code?: string } } | null)?.error?.code;
      if (r.status === 404 || code === "endpoint.container_changed") return null;
      if (r.status !== 200) throw refused(`deleting endpoint ${ns}/${name} failed`, r);
      return { revision: (r.body as { revision: number }).revision };
    },
    async listOwn() {
      const r = await call("GET", `/v1/nodes/${encodeURIComponent(o.node)}/endpoints`);
      if (r.status !== 200) throw refused(`listing node ${o.node}'s endpoints failed`, r);
      return (r.body as { items: StoredEndpoint[] }).items;
    },
  };
}
