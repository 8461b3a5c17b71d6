// The CLI end to end, as separate processes: `palisade server` and `palisade agent --datapath
// memory` over loopback, a policy written through the API, and sync/wait confirming the agent
// applied it. (Kernel enforcement through real namespaces is covered in bpf/ and agent/.)
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const BIN = join(import.meta.dirname, "..", "..", "bin", "palisade.mjs");
const ADMIN = "e2e-admin-token";

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  let buffer = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString();
    let i = buffer.indexOf("\n");
    while (i >= 0) {
      try {
        lines.push(JSON.parse(buffer.slice(0, i)));
      } catch {}
      buffer = buffer.slice(i + 1);
      i = buffer.indexOf("\n");
    }
  });
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const waitFor = async (pred: (l: Record<string, unknown>) => boolean, ms = 20_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (child.exitCode !== null) throw new Error(`process exited ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline)
        throw new Error(`timed out; stderr: ${stderr}; lines: ${JSON.stringify(lines.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, lines, waitFor };
}

function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

describe("palisade server and agent as processes", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-e2e-"));
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  });

  it("enrolls an agent, streams it a policy, and both stop cleanly on SIGTERM", async () => {
    const server = start(["server", "--listen", "127.0.0.1:0", "--db", join(dir, "db", "p.db")], {
      PALISADE_ADMIN_TOKEN: ADMIN,
    });
    children.push(server.child);
    const url = (await server.waitFor((l) => l.msg === "control plane listening")).url as string;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const token = (await api("POST", "/v1/enrollment-tokens", { maxUses: 1 })).body.token as string;
    const agent = start([
      "agent",
      "--server",
      url,
      "--node",
      "e2e-node",
      "--enroll-token",
      token,
      "--state-dir",
      join(dir, "agent-state"),
      "--bpffs",
      join(dir, "agent-bpffs"),
      "--metrics-listen",
      "127.0.0.1:0",
      "--datapath",
      "memory",
    ]);
    children.push(agent.child);
    for (let i = 0; ; i++) {
      const node = await api("GET", "/v1/nodes/e2e-node");
      if (node.status === 200 && node.body.connected) break;
      assert.ok(i < 200, "the agent connects within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
    await api("PUT", "/v1/namespaces/shop", { labels: {} });
    await api("PUT", "/v1/namespaces/shop/endpoints/web", {
      labels: { app: "web" },
      node: "e2e-node",
      interface: "veth-web",
      ips: ["10.77.0.2"],
      ports: [],
    });
    const policy = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "deny" },
      spec: { podSelector: {} },
    };
    const put = await api("PUT", "/v1/namespaces/shop/networkpolicies/deny", policy);
    const wait = await api("GET", `/v1/sync/wait?revision=${put.body.revision}&timeoutSeconds=10`);
    assert.equal(wait.status, 200, JSON.stringify(wait.body));
    const node = await api("GET", "/v1/nodes/e2e-node");
    assert.equal(node.body.appliedRevision, put.body.revision);
    assert.equal(await stop(agent.child), 0);
    assert.equal(await stop(server.child), 0);
  });
});
