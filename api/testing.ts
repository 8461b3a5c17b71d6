// Test helper: the real app over an in-memory database with the real migrations, a request helper
// that reads JSON answers, and what a refused write must leave behind (no revision, no token).
import assert from "node:assert/strict";
import { openTestDatabase } from "../db/testing.ts";
import { createDeps } from "./deps.ts";
import { createApp } from "./server.ts";

export const ADMIN_TOKEN = "test-admin-token";

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  body: any;
}

export interface CallOptions {
  /** Content-Type of the body; application/json when left out. */
  type?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

export type Call = (method: string, path: string, body?: BodyInit, opts?: CallOptions) => Promise<Answer>;

export function createTestApp() {
  const database = openTestDatabase();
  const logs: Record<string, unknown>[] = [];
  const deps = createDeps(database, { adminToken: ADMIN_TOKEN, log: (l) => logs.push(l) });
  const { store, tokens } = deps;
  const app = createApp(deps);
  const call: Call = async (method, path, body, opts = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}`, ...opts.headers };
    if (body !== undefined) headers["content-type"] = opts.type ?? "application/json";
    const init: RequestInit & { duplex?: "half" } = { method, headers, body };
    if (body instanceof ReadableStream) init.duplex = "half";
    const res = await app.request(path, init);
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  };
  /** What a refused request must not change: the revision and the number of live tokens. */
  const footprint = () => ({ revision: store.revision(), tokens: tokens.list().length });
  const errorLogs = () => logs.filter((l) => l.level === "error");
  return { app, deps, store, tokens, call, footprint, errorLogs };
}

export type TestApp = ReturnType<typeof createTestApp>;

/**
 * Sends a request that must be refused: asserts the status, the stable error code, the path of an
 * issue when given (422), that nothing was stored, and that the server logged no error (no 500).
 */
export async function expectRefused(
  t: TestApp,
  request: { method: string; path: string; body?: BodyInit; type?: string },
  expected: { status: number; code: string; issuePath?: string; issueRule?: string },
): Promise<Answer> {
  const before = t.footprint();
  const res = await t.call(request.method, request.path, request.body, { type: request.type });
  const what = `${request.method} ${request.path}`;
  assert.equal(
    res.status,
    expected.status,
    `${what}: status, answer ${JSON.stringify(res.body).slice(0, 500)}`,
  );
  assert.equal(res.body?.error?.code, expected.code, `${what}: error code`);
  if (expected.issuePath !== undefined) {
    const issues: { path: string; rule: string }[] = res.body.error.issues;
    const found = issues.find(
      (i) =>
        i.path === expected.issuePath && (expected.issueRule === undefined || i.rule === expected.issueRule),
    );
    assert.ok(
      found,
      `${what}: an issue at ${expected.issuePath}${expected.issueRule ? ` (${expected.issueRule})` : ""} in ${JSON.stringify(issues)}`,
    );
  }
  assert.deepEqual(t.footprint(), before, `${what}: nothing stored`);
  assert.deepEqual(t.errorLogs(), [], `${what}: no error logged`);
  return res;
}
