// Owns the e2e tests' REST client: admin-token requests that throw on unexpected statuses, and
// waiting for every connected agent to apply a revision with /v1/sync/wait (never a sleep).

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
export type Body = Record<string, any>;

export interface Api {
  url: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }>;
  /** Like call, but a status other than 2xx throws with the answer. */
  must(method: string, path: string, body?: unknown): Promise<Body>;
  /** Resolves once every connected node (or `node`) has applied `revision`. */
  syncWait(revision: number, opts?: { node?: string; timeoutSeconds?: number }): Promise<void>;
  revision(): Promise<number>;
}

export function createApi(url: string, token: string): Api {
  const api: Api = {
    url,
    async call(method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Body) : {} };
    },
    async must(method, path, body) {
      const r = await api.call(method, path, body);
      if (r.status < 200 || r.status > 299)
        throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async syncWait(revision, opts = {}) {
      const node = opts.node ? `&node=${encodeURIComponent(opts.node)}` : "";
      const r = await api.call(
        "GET",
        `/v1/sync/wait?revision=${revision}&timeoutSeconds=${opts.timeoutSeconds ?? 15}${node}`,
      );
      if (r.status !== 200)
        throw new Error(`sync/wait for revision ${revision}: ${r.status} ${JSON.stringify(r.body)}`);
    },
    async revision() {
      return (await api.must("GET", "/v1/revision")).revision as number;
    },
  };
  return api;
}
