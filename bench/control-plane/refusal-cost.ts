// Measures what a refused write costs next to an accepted one (issue 10 section 2: median refused
// <= 2x median accepted with 10,000 endpoints stored). Writes go through Store.commit on a file
// database, as the API makes them; the baseline in the same run is a rebuild of the engine from the
// store, which is what every refusal cost before the compiler journaled its mutations.
// Usage: node --import tsx bench/control-plane/refusal-cost.ts [--scale N] [--runs N]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ObjectWrite } from "../../api/policy/compiler/object-change.ts";
import type { Endpoint, NetworkPolicy } from "../../api/policy/model.ts";
import { StoreError } from "../../api/store/errors.ts";
import { loadEngine } from "../../api/store/load.ts";
import { Store } from "../../api/store/store.ts";
import { openDatabase } from "../../db/client.ts";
import { generateCluster, scaledParams } from "./generate.ts";
import { ms, table } from "./report.ts";
import { median, timed } from "./stats.ts";

const { values } = parseArgs({
  options: { scale: { type: "string", default: "1" }, runs: { type: "string", default: "41" } },
});
const scale = Number(values.scale);
const runs = Number(values.runs);
const origin = { origin: { kind: "object" } as const };

const dir = mkdtempSync(join(tmpdir(), "palisade-refusal-"));
try {
  const cluster = generateCluster(scaledParams(scale));
  const store = new Store(openDatabase(join(dir, "palisade.db")));
  const [seedMs] = timed(() =>
    store.commit(
      [
        ...cluster.namespaces.map((value): ObjectWrite => ({ kind: "namespace", op: "upsert", value })),
        ...cluster.endpoints.map((value): ObjectWrite => ({ kind: "endpoint", op: "upsert", value })),
        ...cluster.policies.map(
          (value): ObjectWrite => ({ kind: "policy", op: "upsert", value, submitted: {} }),
        ),
      ],
      origin,
    ),
  );
  const ns = cluster.namespaces[2]!.name;
  const someone = cluster.endpoints.find((e) => e.namespace === ns) ?? cluster.endpoints[0]!;
  const other = cluster.endpoints.find((e) => e !== someone)!;
  const policyOf = (name: string, spec: Partial<NetworkPolicy["spec"]>): NetworkPolicy => ({
    namespace: someone.namespace,
    name,
    labels: {},
    annotations: {},
    spec: {
      podSelector: { matchLabels: { app: someone.labels.app! }, matchExpressions: [] },
      policyTypes: ["Ingress"],
      ingress: [],
      egress: [],
      ...spec,
    },
  });
  const ports = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ protocol: "TCP" as const, port: 1000 + i }));
  const excepts = (block: number) =>
    Array.from({ length: 256 }, (_, i) => `203.${block}.${i >> 4}.${(i & 15) * 16}/28`);
  const upsertEp = (value: Endpoint): ObjectWrite => ({ kind: "endpoint", op: "upsert", value, force: true });
  const upsertPolicy = (value: NetworkPolicy): ObjectWrite => ({
    kind: "policy",
    op: "upsert",
    value,
    submitted: {},
  });

  // Every identity plus 9 x 257 prefixes: on 128 ports, more entries than a set may hold (262,144).
  const hugePeers = [
    { namespaceSelector: { matchLabels: {}, matchExpressions: [] } },
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((b) => ({ ipBlock: { cidr: "0.0.0.0/0", except: excepts(b) } })),
  ];
  let flip = 0;
  const accepted: Record<string, () => ObjectWrite[]> = {
    "endpoint relabelled (new identity)": () => [
      upsertEp({ ...someone, labels: { ...someone.labels, bench: `v${flip++ % 2}` } }),
    ],
    "small policy (one rule, one peer, one port)": () => [
      upsertPolicy(
        policyOf("bench-small", {
          ingress: [
            {
              peers: [{ podSelector: { matchLabels: { tier: "frontend" }, matchExpressions: [] } }],
              ports: ports(1 + (flip++ % 2)),
            },
          ],
        }),
      ),
    ],
    "new endpoint, then deleted": () =>
      flip++ % 2 === 0
        ? [upsertEp({ ...someone, name: "bench-new", interface: "bench0", ips: ["10.255.255.1"] })]
        : [{ kind: "endpoint", op: "delete", namespace: someone.namespace, name: "bench-new" }],
    "the capacity case's peers on 1 port (accepted), then deleted": () =>
      flip++ % 2 === 0
        ? [upsertPolicy(policyOf("bench-large", { ingress: [{ peers: hugePeers, ports: ports(1) }] }))]
        : [{ kind: "policy", op: "delete", namespace: someone.namespace, name: "bench-large" }],
  };
  const refused: Record<string, [code: string, () => ObjectWrite[]]> = {
    "capacity: all identities + 9 blocks x 256 excepts, 128 ports": [
      "capacity.exceeded",
      () => [
        upsertPolicy(
          policyOf("bench-huge", {
            ingress: [
              {
                peers: [
                  { namespaceSelector: { matchLabels: {}, matchExpressions: [] } },
                  ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((b) => ({
                    ipBlock: { cidr: "0.0.0.0/0", except: excepts(b) },
                  })),
                ],
                ports: ports(128),
              },
            ],
          }),
        ),
      ],
    ],
    "address conflict": [
      "endpoint.ip_conflict",
      () => [upsertEp({ ...someone, name: "bench-clash", interface: "bench1", ips: other.ips })],
    ],
    "relabel, then an interface conflict in the same batch": [
      "endpoint.interface_conflict",
      () => [
        upsertEp({ ...someone, labels: { ...someone.labels, bench: "clash" } }),
        upsertEp({ ...other, name: "bench-clash", ips: ["10.255.255.2"] }),
      ],
    ],
  };

  const timeWrites = (make: () => ObjectWrite[], code?: string): number[] =>
    Array.from({ length: runs }, () => {
      const writes = make();
      const start = performance.now();
      try {
        store.commit(writes, origin);
        if (code) throw new Error(`expected ${code}, the write was accepted`);
      } catch (err) {
        if (!code || !(err instanceof StoreError) || err.code !== code) throw err;
      }
      return performance.now() - start;
    });

  const rows: (string | number)[][] = [];
  const medians = new Map<string, number>();
  const all = { accepted: [] as number[], refused: [] as number[] };
  for (const [name, [code, make]] of Object.entries(refused)) {
    const samples = timeWrites(make, code);
    all.refused.push(...samples);
    medians.set(name, median(samples));
    rows.push([`refused ${code}`, name, ms(median(samples)), ms(Math.max(...samples))]);
  }
  for (const [name, make] of Object.entries(accepted)) {
    flip = 0; // each alternating kind starts with its upsert
    const samples = timeWrites(make);
    all.accepted.push(...samples);
    medians.set(name, median(samples));
    rows.push(["accepted", name, ms(median(samples)), ms(Math.max(...samples))]);
  }
  const rebuilds = Array.from({ length: 3 }, () => timed(() => loadEngine(store.db, undefined))[0]);
  rows.push([
    "baseline",
    "rebuild from the store (a refusal's cost before)",
    ms(median(rebuilds)),
    ms(Math.max(...rebuilds)),
  ]);

  const acceptedMedian = median(all.accepted);
  const refusedMedian = median(all.refused);
  console.log(`# Refused vs accepted writes\n`);
  console.log(
    `${cluster.endpoints.length} endpoints, ${cluster.policies.length} policies stored (seeded in ${ms(seedMs)}); ${runs} writes per kind.\n`,
  );
  console.log(table(["outcome", "write", "median", "max"], rows));
  console.log(`\nmedian accepted: ${ms(acceptedMedian)}; median refused: ${ms(refusedMedian)}`);
  console.log(`refused / accepted: ${(refusedMedian / acceptedMedian).toFixed(2)}x (target <= 2x)`);
  const [big, bigOk] = [Object.keys(refused)[0]!, Object.keys(accepted)[3]!];
  console.log(
    `capacity refusal / the same peers accepted on 1 port: ${(medians.get(big)! / medians.get(bigOk)!).toFixed(2)}x`,
  );
  console.log(`rebuild / refused: ${(median(rebuilds) / refusedMedian).toFixed(0)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
