import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../../api/main.ts";
import type { ObjectWrite } from "../../api/policy/compiler/object-change.ts";
import { generateCluster, scaledParams } from "../control-plane/generate.ts";
import { hostileWrites } from "./bodies.ts";

const dir = mkdtempSync(join(tmpdir(), "palisade-probe-"));
const server = await startServer({
  listen: "127.0.0.1:0",
  dbPath: join(dir, "p.db"),
  adminToken: "t",
  log: () => {},
});
const store = server.deps.store;
const cluster = generateCluster(scaledParams(1));
store.commit(
  [
    ...cluster.namespaces.map((value): ObjectWrite => ({ kind: "namespace", op: "upsert", value })),
    ...cluster.endpoints.map((value): ObjectWrite => ({ kind: "endpoint", op: "upsert", value })),
    ...cluster.policies.map((value): ObjectWrite => ({ kind: "policy", op: "upsert", value, submitted: {} })),
  ],
  { origin: { kind: "object" } },
);
const counts = new Map<string, number>();
for (const e of cluster.endpoints) counts.set(e.namespace, (counts.get(e.namespace) ?? 0) + 1);
const ns = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
const pre = hostileWrites(ns).find((x) => x.name.includes("128 peers x 100"))!;
if (process.env.PRE) {
  const r = await fetch(`${server.url}${pre.call.path}`, {
    method: "PUT",
    headers: { authorization: "Bearer t", "content-type": "application/json" },
    body: pre.call.body as string,
  });
  console.log("pre", r.status);
  await r.text();
}
let w = hostileWrites(ns).find((x) => x.name.includes(process.env.ONLY ?? "128 peers"))!;
if (process.env.BIG) {
  let n = 0;
  const host = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
  const from = Array.from({ length: 128 }, () => ({
    ipBlock: { cidr: "10.0.0.0/8", except: Array.from({ length: 256 }, () => host(n++)) },
  }));
  w = {
    name: "big",
    call: {
      method: "PUT",
      path: `/v1/namespaces/${ns}/networkpolicies/big`,
      body: JSON.stringify({
        spec: { podSelector: {}, ingress: [{ from, ports: [{ protocol: "TCP", port: 80 }] }] },
      }),
    },
  };
}
let max = 0;
let last = performance.now();
const gaps: [number, number][] = [];
const iv = setInterval(() => {
  const n = performance.now();
  if (n - last > 30) gaps.push([Math.round(n), Math.round(n - last)]);
  max = Math.max(max, n - last);
  last = n;
}, 1);
const t0 = performance.now();
const res = await fetch(`${server.url}${w.call.path}`, {
  method: w.call.method,
  headers: { authorization: "Bearer t", "content-type": "application/json" },
  body: w.call.body as string,
});
await res.text();
clearInterval(iv);
console.log(
  "status",
  res.status,
  "total",
  (performance.now() - t0).toFixed(0),
  "max gap",
  max.toFixed(1),
  "start",
  Math.round(t0),
  "gaps",
  JSON.stringify(gaps),
);
await server.close();
