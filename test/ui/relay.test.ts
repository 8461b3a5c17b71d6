// The console's flow relay over real HTTP (no browser): a follow stream relayed through /ui/api/flows
// streams as Server-Sent Events and, when the browser goes away, ends upstream too (the flow API's
// follower is released, not leaked).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, createTestApp } from "../../api/testing.ts";
import { serveLoopback } from "./browser.ts";
import { type Flow, FlowStandIn } from "./flow-stand-in.ts";

const flow: Flow = {
  time: "2026-12-07T22:01:02.345Z",
  node: "node-a",
  endpoint: { namespace: "shop", name: "web" },
  direction: "ingress",
  verdict: "dropped",
  reason: "POLICY_DENIED",
  protocol: "TCP",
  source: { address: "198.18.40.5", port: 40312, identity: "world" },
  destination: { address: "198.18.40.2", port: 81, namespace: "shop", pod: "web", labels: {} },
  policy: { kind: "DefaultDeny" },
};

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("web console: relayed flow stream", () => {
  const t = createTestApp();
  const flows = new FlowStandIn();
  flows.install(t.deps.hub.flows);
  let server: Awaited<ReturnType<typeof serveLoopback>>;
  before(async () => {
    server = await serveLoopback(t.app.fetch);
  });
  after(() => server.close());

  it("streams flows as SSE and releases the upstream follower when the client disconnects", async () => {
    const signIn = await fetch(`${server.origin}/ui/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: server.origin, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    });
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    const abort = new AbortController();
    const res = await fetch(`${server.origin}/ui/api/flows?follow=true`, {
      headers: { cookie, accept: "text/event-stream" },
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(res.headers.get("cache-control"), "no-store");
    await until(() => flows.followers() === 1);
    flows.emit(flow);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("\n\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.equal(text, `event: flow\ndata: ${JSON.stringify(flow)}\n\n`);
    abort.abort();
    await until(() => flows.followers() === 0);
  });
});
