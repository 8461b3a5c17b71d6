// Owns the synthetic map contents of the datapath benchmark: N policy entries spread over policy
// sets, identities, protocols and port prefixes (like a compiled cluster), plus the few entries
// the measured packets hit.
import { type IpcacheEntry, type PolicyEntry, PROTO, portRangeToPrefixes } from "../../wire/entries.ts";

/** Deterministic PRNG (mulberry32) so every run measures the same maps. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct policy entries (policy sets >= 100, so none collides with the measured set 1). */
export function policyEntries(count: number, seed = 1): PolicyEntry[] {
  const rnd = prng(seed);
  const seen = new Set<string>();
  const out: PolicyEntry[] = [];
  while (out.length < count) {
    const policySetId = 100 + Math.floor(rnd() * 5000);
    const remoteIdentity = 256 + Math.floor(rnd() * 20000);
    const r = rnd();
    const protocol = r < 0.7 ? PROTO.TCP : r < 0.9 ? PROTO.UDP : PROTO.ANY;
    let port = 0;
    let portPrefixLen = 0;
    if (protocol !== PROTO.ANY) {
      if (rnd() < 0.8) {
        port = 1 + Math.floor(rnd() * 65000);
        portPrefixLen = 16;
      } else {
        const start = 1024 + Math.floor(rnd() * 60000);
        const p = portRangeToPrefixes(start, start + Math.floor(rnd() * 500))[0]!;
        port = p.port;
        portPrefixLen = p.prefixLen;
      }
    }
    const direction = rnd() < 0.5 ? "ingress" : "egress";
    const key = `${policySetId}/${direction}/${remoteIdentity}/${protocol}/${port}/${portPrefixLen}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      policySetId,
      direction,
      remoteIdentity,
      protocol,
      port,
      portPrefixLen,
      verdict: "allow",
      policyId: 1 + (out.length % 997),
      ruleIndex: out.length % 7,
    });
  }
  return out;
}

/** `count` /32 ipcache entries under 10.128.0.0/9 with label identities. */
export function ipcacheEntries(count: number, seed = 2): IpcacheEntry[] {
  const rnd = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const n = 0x0a800000 + i;
    return {
      prefix: `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}/32`,
      identity: 256 + Math.floor(rnd() * 20000),
      prefixIdentity: 0,
    };
  });
}
