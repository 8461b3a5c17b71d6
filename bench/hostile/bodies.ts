// Owns the hostile writes of issue 10 section 1, as HTTP calls against a seeded cluster: the bodies
// the issue measured (before the validation limits, some are now refused 422 at validation) and the
// worst body within the limits found since. `ns` is a namespace with endpoints, so `podSelector: {}`
// selects them and the compiler has sets to fill.
import type { HttpCall } from "../control-plane/http-load.ts";

export interface HostileWrite {
  name: string;
  call: HttpCall;
  /** Accepted (within every limit and the maps), where the others are refused. */
  accepted?: boolean;
}

/** A distinct /32 per index, under 10.0.0.0/8 (outside the generated cluster's pod addresses). */
const host = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
const tcpPorts = (n: number) => Array.from({ length: n }, (_, i) => ({ protocol: "TCP", port: 1000 + i }));

function policy(ns: string, name: string, from: unknown[], ports: unknown[]): HttpCall {
  return {
    method: "PUT",
    path: `/v1/namespaces/${ns}/networkpolicies/${name}`,
    body: JSON.stringify({ spec: { podSelector: {}, ingress: [{ from, ports }] } }),
  };
}

/** Blocks of `excepts` /32s each under `cidr`, numbered from `first` across blocks. */
function blocks(count: number, cidr: string, excepts: number, first = 0): unknown[] {
  let n = first;
  return Array.from({ length: count }, () => ({
    ipBlock: { cidr, except: Array.from({ length: excepts }, () => host(n++)) },
  }));
}

export function hostileWrites(ns: string): HostileWrite[] {
  const labels: Record<string, string> = {};
  for (let i = 0; i < 100_000; i++) labels[`k${i}`] = "v";
  return [
    {
      // Issue: 25-30 s and ~3 GB before a 409; now over the excepts and ports limits.
      name: "issue: 0.0.0.0/0 with 5,000 excepts + 0.0.0.0/0, 1,000 ports (120 KB)",
      call: policy(
        ns,
        "hostile-5000-excepts",
        [...blocks(1, "0.0.0.0/0", 5_000), { ipBlock: { cidr: "0.0.0.0/0" } }],
        tcpPorts(1_000),
      ),
    },
    {
      // Issue: 3.6-3.8 s; now over the peers limit (128).
      name: "issue: 160 peers x 100 excepts (16,000 prefixes)",
      call: policy(ns, "hostile-160x100", blocks(160, "10.0.0.0/8", 100), [{ protocol: "TCP", port: 80 }]),
    },
    {
      name: "within limits: 128 peers x 100 excepts (12,800 prefixes), 1 port",
      accepted: true,
      call: policy(ns, "hostile-128x100", blocks(128, "10.0.0.0/8", 100), [{ protocol: "TCP", port: 80 }]),
    },
    {
      // The most prefixes a policy may name (16,384), on one port: accepted. It replaces the
      // policy above, so that its first write also gives back 12,800 prefixes.
      name: "within limits: 64 peers x 255 excepts (16,384 prefixes), 1 port, replacing 128 x 100",
      accepted: true,
      call: policy(ns, "hostile-128x100", blocks(64, "10.0.0.0/8", 255, 1 << 16), [
        { protocol: "TCP", port: 80 },
      ]),
    },
    {
      // Issue: a 42 KB apply of 200 endpoints took 5.2 s; now over the labels limit (64).
      name: "issue: namespace with 100,000 labels",
      call: { method: "PUT", path: "/v1/namespaces/hostile-labels", body: JSON.stringify({ labels }) },
    },
    {
      // The same namespace as a YAML bundle: the YAML parser's own duplicate-key check was
      // quadratic (72 s for this map); keys are now checked once each (api/http/body.ts).
      name: "namespace with 100,000 labels, YAML bundle",
      call: {
        method: "POST",
        path: "/v1/apply",
        type: "application/yaml",
        body: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hostile-yaml\n  labels:\n${Object.keys(
          labels,
        )
          .map((k) => `    ${k}: v\n`)
          .join("")}`,
      },
    },
    {
      // The worst body within the limits before the prefixes-per-policy limit (19.6 s before the
      // first fixes, then a 409 capacity.exceeded); now over that limit.
      name: "was within limits: 127 x 256 excepts + 0.0.0.0/0, 128 ports (538 KiB)",
      call: policy(
        ns,
        "hostile-538k",
        [...blocks(127, "0.0.0.0/0", 256), { ipBlock: { cidr: "0.0.0.0/0" } }],
        tcpPorts(128),
      ),
    },
    {
      // The same within every limit (16,129 prefixes): over the policy map, refused 409.
      name: "within limits: 63 x 256 excepts + 0.0.0.0/0, 128 ports (270 KiB)",
      call: policy(
        ns,
        "hostile-270k",
        [...blocks(63, "0.0.0.0/0", 256), { ipBlock: { cidr: "0.0.0.0/0" } }],
        tcpPorts(128),
      ),
    },
  ];
}

/** An ordinary write, for what an accepted write costs in the same run. */
export function ordinaryWrite(ns: string, i: number): HttpCall {
  return policy(
    ns,
    `ordinary-${i}`,
    [{ podSelector: { matchLabels: { app: `client-${i}` } } }],
    [{ protocol: "TCP", port: 8080 }],
  );
}
