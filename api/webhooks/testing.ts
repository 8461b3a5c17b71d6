// Test helpers for webhooks: a real HTTP receiver on loopback that records what it gets, an
// independent Standard Webhooks verifier (written from the spec, not from signing.ts), and the
// real app over an in-memory database with a controllable clock.

import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { OpenedDatabase } from "../../db/client.ts";
import { openTestDatabase } from "../../db/testing.ts";
import { ManualClock } from "../../lib/testing/manual-clock.ts";
import { createDeps, type Deps } from "../deps.ts";
import { createApp } from "../server.ts";
import type { Answer } from "../testing.ts";
import type { WebhookOptions } from "./service.ts";

export const ADMIN = "webhook-test-admin";

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply = (
  req: Received,
  n: number,
) =>
  | { status: number; body?: string; delayMs?: number }
  | Promise<{ status: number; body?: string; delayMs?: number }>;

/** An HTTP receiver on 127.0.0.1 with a free port; `reply` decides each answer. */
export class TestReceiver {
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];
  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(reply: Reply = () => ({ status: 200 })): Promise<TestReceiver> {
    let self: TestReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const got = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
        self!.received.push(got);
        self!.wake();
        const answer = await reply(got, self!.received.length);
        if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
        if (res.destroyed) return;
        res.writeHead(answer.status, { "content-type": "text/plain" });
        res.end(answer.body ?? "ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    self = new TestReceiver(server, `http://127.0.0.1:${port}/hook`);
    return self;
  }

  /** Waits until at least `n` requests arrived. */
  async waitFor(n: number, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.received.length < n) {
      if (Date.now() > deadline)
        throw new Error(`receiver got ${this.received.length} of ${n} requests in ${ms} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Distinct webhook-id values received: what a receiver that deduplicates would process. */
  distinctIds(): string[] {
    return [...new Set(this.received.map((r) => String(r.headers["webhook-id"])))];
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/**
 * Verifies a request as the Standard Webhooks specification describes it: the key is the base64
 * after `whsec_`; the signed content is `${webhook-id}.${webhook-timestamp}.${body}`; the header
 * lists space-separated `v1,<base64 HMAC-SHA256>` signatures and one matching suffices.
 */
export function specVerify(
  secret: string,
  received: Received,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const id = received.headers["webhook-id"];
  const ts = received.headers["webhook-timestamp"];
  const sigs = received.headers["webhook-signature"];
  if (typeof id !== "string" || typeof ts !== "string" || typeof sigs !== "string") return false;
  if (Math.abs(nowSeconds - Number.parseInt(ts, 10)) > toleranceSeconds) return false;
  const key = Buffer.from(secret.split("_")[1]!, "base64");
  const expected = createHmac("sha256", key).update(`${id}.${ts}.${received.body}`).digest();
  return sigs.split(" ").some((entry) => {
    const [version, value] = entry.split(",");
    if (version !== "v1" || value === undefined) return false;
    const got = Buffer.from(value, "base64");
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/** Signs as a Standard Webhooks sender would (independently of signing.ts). */
export function specSign(secret: string, id: string, ts: number, body: string): string {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64")}`;
}

export interface WebhookTestApp {
  deps: Deps;
  database: OpenedDatabase;
  clock: ManualClock;
  call(
    method: string,
    path: string,
    body?: unknown,
    opts?: { token?: string | null; type?: string; headers?: Record<string, string> },
  ): Promise<Answer & { headers: Record<string, string> }>;
  logs: Record<string, unknown>[];
}

/** The real app on an in-memory database; deliveries may reach 127.0.0.0/8; the worker is driven by hand. */
export function webhookTestApp(
  opts: WebhookOptions & { database?: OpenedDatabase; realClock?: boolean } = {},
): WebhookTestApp {
  const database = opts.database ?? openTestDatabase();
  const clock = new ManualClock(Date.parse("2026-11-26T12:00:00Z"));
  const logs: Record<string, unknown>[] = [];
  const deps = createDeps(database, {
    adminToken: ADMIN,
    log: (l) => logs.push(l),
    webhooks: {
      allowNetworks: ["127.0.0.0/8"],
      startWorker: false,
      random: () => 0.5,
      ...(opts.realClock ? {} : { clock }),
      ...opts,
    },
  });
  const app = createApp(deps);
  const call: WebhookTestApp["call"] = async (method, path, body, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? ADMIN : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: BodyInit | undefined;
    if (body !== undefined) {
      headers["content-type"] ??= o.type ?? "application/json";
      payload =
        typeof body === "string" || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
    }
    const res = await app.request(path, { method, headers, body: payload });
    const text = await res.text();
    const headersOut = Object.fromEntries(res.headers.entries());
    try {
      return { status: res.status, body: JSON.parse(text), headers: headersOut };
    } catch {
      return { status: res.status, body: text, headers: headersOut };
    }
  };
  return { deps, database, clock, call, logs };
}

/** Creates a subscription and asserts it was created. */
export async function subscribe(t: WebhookTestApp, url: string, events: string[] = ["*"]) {
  const res = await t.call("POST", "/v1/webhooks", { url, events });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; secret: string };
}

export const namespace = (name: string) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

export const denyAll = (ns: string, name: string) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { namespace: ns, name },
  spec: { podSelector: {}, policyTypes: ["Ingress"] },
});
