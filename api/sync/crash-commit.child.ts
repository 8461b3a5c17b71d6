// Test child for crash-fanout.test.ts: a control plane over the database at argv[2] that, told
// `commit <node> <ip>` on stdin, commits one endpoint through its store and dies by SIGKILL in the
// same tick: after the commit, before its queued fan-out runs (the crash the design must survive).
import { writeSync } from "node:fs";
import type { Server } from "node:http";
import { createInterface } from "node:readline";
import { serve } from "@hono/node-server";
import { serveUpgrades } from "../http/upgrade.ts";
import { buildDeps } from "../main.ts";
import { createApp, createUpgradeApp } from "../server.ts";

export const CRASH_CHILD_ADMIN = "crash-child-admin-token";

const dbPath = process.argv[2]!;
const deps = buildDeps(dbPath, CRASH_CHILD_ADMIN, () => {});
const server = serve({ fetch: createApp(deps).fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  writeSync(1, `http://127.0.0.1:${info.port}\n`);
});
serveUpgrades(server as unknown as Server, createUpgradeApp(deps));

createInterface({ input: process.stdin }).on("line", (line) => {
  const [verb, node, ip] = line.split(" ");
  if (verb !== "commit") return;
  const value = {
    namespace: "c",
    name: "late",
    labels: { app: "late" },
    node: node!,
    interface: "veth-late",
    ips: [ip!],
    ports: [],
  };
  const { revision } = deps.store.commit([{ kind: "endpoint", op: "upsert", value }], {
    origin: { kind: "object" },
  });
  writeSync(1, `${revision}\n`);
  process.kill(process.pid, "SIGKILL");
});
