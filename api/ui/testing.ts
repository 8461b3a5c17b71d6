// Test helper for the console: a small topology written through the API (two namespaces, four
// endpoints, three policies, one annotation holding markup), and signing in as a browser would.

import type { Call } from "../testing.ts";

export const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

const policy = (name: string, spec: object, annotations: Record<string, string> = {}) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, annotations },
  spec,
});

/** Writes the topology; throws when a write is refused (the tests then mean nothing). */
export async function seedTopology(call: Call): Promise<void> {
  const writes: [string, object][] = [
    ["/v1/namespaces/shop", { labels: { team: "shop" } }],
    ["/v1/namespaces/ops", { labels: { team: "ops" } }],
    ...(
      [
        ["shop", "web", "web", "198.18.40.2"],
        ["shop", "api", "api", "198.18.40.3"],
        ["shop", "db", "db", "198.18.40.4"],
        ["ops", "monitor", "monitor", "198.18.40.5"],
      ] as const
    ).map(([ns, name, app, ip], i): [string, object] => [
      `/v1/namespaces/${ns}/endpoints/${name}`,
      {
        labels: { app },
        node: i % 2 === 0 ? "node-a" : "node-b",
        interface: `veth-ui${i}`,
        ips: [ip],
        ports: [],
      },
    ]),
    [
      "/v1/namespaces/shop/networkpolicies/web-from-ops",
      policy(
        "web-from-ops",
        {
          podSelector: { matchLabels: { app: "web" } },
          ingress: [
            { from: [{ namespaceSelector: { matchLabels: { team: "ops" } } }], ports: [{ port: 80 }] },
          ],
        },
        { "example.com/note": HOSTILE },
      ),
    ],
    [
      "/v1/namespaces/shop/networkpolicies/api-from-web",
      policy("api-from-web", {
        podSelector: { matchLabels: { app: "api" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 80 }] }],
      }),
    ],
    [
      "/v1/namespaces/shop/networkpolicies/db-isolated",
      policy("db-isolated", {
        podSelector: { matchLabels: { app: "db" } },
        policyTypes: ["Ingress", "Egress"],
      }),
    ],
  ];
  for (const [path, body] of writes) {
    const res = await call("PUT", path, JSON.stringify(body));
    if (res.status >= 300) throw new Error(`seed PUT ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** Every ordered pair of the seeded endpoints, as `namespace/name`. */
export const SEEDED = ["ops/monitor", "shop/api", "shop/db", "shop/web"];
