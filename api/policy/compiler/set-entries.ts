// Expands one rule of one policy into one policy set's entries (pure given its context): the
// Kubernetes rule semantics (peers, ports, ranges, named ports) live here; set-views.ts decides
// which policies go into which view of a set.
import {
  type Direction,
  IDENTITY_ANY,
  IDENTITY_ANY_POD,
  type PolicyEntry,
  PROTO,
  policyKey,
  portRangeToPrefixes,
} from "../../../wire/entries.ts";
import type { EndpointPort, PolicyPort, Protocol } from "../model.ts";
import { type Steps, ticker } from "./steps.ts";
import type { CompiledRule, EndpointRec, PolicyRec, PolicySet } from "./types.ts";

export interface SetContext {
  /** Policies in the set's namespace whose podSelector selects the identity, by ascending id. */
  policiesSelecting(identity: number): PolicyRec[];
  /** Cluster policies whose subject selects the identity, by (priority, id). */
  clusterPoliciesSelecting(identity: number): PolicyRec[];
  /** Label identities, prefix identities or (a namespaces peer) namespace identities a peer selects. */
  peerIdentities(peer: CompiledRule["peers"][number]): ReadonlySet<number>;
  /**
   * Prefix identities that any of the ipBlocks selects, in one pass over the prefixes (not one per
   * block), cached on `owner` while no prefix comes or goes.
   */
  blockIdentities(owner: object, blockKeys: readonly string[]): ReadonlySet<number>;
  /** True when the policy's rules name any of these remotes (policyRemotes, cached per recompute round). */
  namesAny(rec: PolicyRec, remotes: ReadonlySet<number>): boolean;
  /** Label identities in the whole store (for wildcard peers with named ports). */
  allIdentities(): Iterable<number>;
  /** Endpoints holding an identity. */
  members(identity: number): Iterable<EndpointRec>;
  /** Endpoints whose addresses lie in an ipBlock peer: [endpoint, address][]. */
  endpointsInBlock(blockKey: string): Iterable<[EndpointRec, string]>;
  /** Takes a reference on the host prefix of an address; returns its prefix identity. */
  hostPrefixId(ip: string): number;
  /**
   * The most entries one set may hold: every entry of a set is in the policy map of each node
   * hosting a member, so a set above this is refused before it is built any further.
   */
  maxEntries: number;
  /** Throws the capacity error for a set that needs `needed` entries. */
  refuse(setId: number, needed: number): never;
}

export interface SetResult {
  entries: Map<string, PolicyEntry>;
  ingressPolicyId: number;
  egressPolicyId: number;
  /** AUDIT_* and ISOLATED_ALL_* bits. */
  setFlags: number;
}

interface PortSpec {
  protocol: number;
  port: number;
  prefixLen: number;
}

const PROTOCOL_NUMBER: Record<Protocol, number> = { TCP: PROTO.TCP, UDP: PROTO.UDP, SCTP: PROTO.SCTP };

const ANY_POD: ReadonlySet<number> = new Set([IDENTITY_ANY_POD]);

/** One rule of one policy being compiled into one set's entries. */
export interface RuleJob {
  out: SetResult;
  set: Pick<PolicySet, "id" | "ports">;
  policyId: number;
  ruleIndex: number;
  rule: CompiledRule;
  ctx: SetContext;
  /** Only these remote identities (a partial recompute), or all. */
  only: ReadonlySet<number> | undefined;
  /** Entries of the audit view (every policy enforced, audit mode included). */
  audit: boolean;
  /** Set for a cluster policy's rule: the tier entry's action and priority. */
  tier?: TierSpec;
}

interface TierSpec {
  tier: NonNullable<PolicyEntry["tier"]>;
  priority: number;
  verdict: "accept" | "deny" | "pass";
}

/** Remotes whose entries are added per step (steps.ts). */
const REMOTES_PER_STEP = 1_024;

/** Adds an ingress rule's entries, in steps. */
export function* addIngressRule(job: RuleJob): Steps<void> {
  const { rule, ctx, only } = job;
  const remotes = remoteIdentities(rule, ctx, only);
  if (remotes.size === 0) return;
  // Named ports of an ingress rule name ports of the destination: this set's own endpoints.
  const specs = portSpecs(rule.ports, (p) => resolveNamed(p, job.set.ports));
  checkRuleSize(job, remotes.size, specs);
  const step = ticker(REMOTES_PER_STEP);
  for (const remote of remotes) {
    for (const spec of specs) add(job, "ingress", remote, spec);
    if (step()) yield;
  }
}

/** Adds an egress rule's entries, in steps (named ports at once: they follow endpoints, not prefixes). */
export function* addEgressRule(job: RuleJob): Steps<void> {
  const { rule, ctx, only } = job;
  const remotes = remoteIdentities(rule, ctx, only);
  // A partial recompute needs no named egress ports (recompute.ts redoes such sets in full).
  if (remotes.size === 0 && only) return;
  const numeric = portSpecs(rule.ports, () => []);
  const named = rule.ports.filter((p) => typeof p.port === "string");
  checkRuleSize(job, remotes.size, numeric);
  const step = ticker(REMOTES_PER_STEP);
  for (const remote of remotes) {
    for (const spec of numeric) add(job, "egress", remote, spec);
    if (step()) yield;
  }
  if (named.length === 0 || only) return;
  // Named ports of an egress rule name ports of each destination endpoint. When every endpoint of
  // an identity resolves them alike, one entry per identity is exact; otherwise use per-address
  // prefix identities so that no endpoint gets a port another endpoint named.
  const emitFor = (identity: number) => {
    const byMember = [...ctx.members(identity)].map((m) => ({
      m,
      specs: named.flatMap((p) => resolveNamed(p, m.endpoint.ports)),
    }));
    const signatures = new Set(byMember.map(({ specs }) => specsKey(specs)));
    if (signatures.size <= 1) {
      for (const spec of byMember[0]?.specs ?? []) add(job, "egress", identity, spec);
      return;
    }
    for (const { m, specs } of byMember) {
      for (const ip of m.endpoint.ips) {
        if (specs.length === 0) continue;
        const prefixId = ctx.hostPrefixId(ip);
        for (const spec of specs) add(job, "egress", prefixId, spec);
      }
    }
  };
  if (rule.peers.length === 0) {
    for (const identity of ctx.allIdentities()) emitFor(identity);
    return;
  }
  for (const peer of rule.peers) {
    if (peer.kind !== "block") {
      for (const identity of ctx.peerIdentities(peer)) emitFor(identity);
    } else {
      for (const [m, ip] of ctx.endpointsInBlock(peer.key)) {
        const specs = named.flatMap((p) => resolveNamed(p, m.endpoint.ports));
        if (specs.length === 0) continue;
        const prefixId = ctx.hostPrefixId(ip);
        for (const spec of specs) add(job, "egress", prefixId, spec);
      }
    }
  }
}

/**
 * One rule alone makes remotes x distinct port specs entries (no two share a key): when that is
 * over the set's capacity, refuse before building any of them. This is what keeps a hostile rule
 * (thousands of prefixes times a hundred ports) from costing seconds and gigabytes to refuse.
 */
function checkRuleSize(job: RuleJob, remotes: number, specs: PortSpec[]): void {
  if (remotes * specs.length <= job.ctx.maxEntries) return;
  const distinct = new Set(specs.map((s) => `${s.protocol}/${s.port}/${s.prefixLen}`)).size;
  const needed = remotes * distinct;
  if (needed > job.ctx.maxEntries) job.ctx.refuse(job.set.id, needed);
}

function remoteIdentities(
  rule: CompiledRule,
  ctx: SetContext,
  only?: ReadonlySet<number>,
): ReadonlySet<number> {
  if (rule.peers.length === 0) return only && !only.has(IDENTITY_ANY) ? new Set() : new Set([IDENTITY_ANY]);
  const blockKeys: string[] = [];
  const selectors: ReadonlySet<number>[] = [];
  for (const peer of rule.peers) {
    if (peer.kind === "block") blockKeys.push(peer.key);
    // A tier peer of every pod is one entry (IDENTITY_ANY_POD), whatever pods come and go.
    else if (peer.kind === "allPods") selectors.push(ANY_POD);
    else selectors.push(ctx.peerIdentities(peer));
  }
  // All of a rule's ipBlocks together: many blocks over one cidr must not cost blocks x prefixes.
  const blocks = blockKeys.length > 0 ? ctx.blockIdentities(rule.peers, blockKeys) : new Set<number>();
  if (!only && selectors.length === 0) return blocks;
  const out = new Set<number>();
  for (const selected of [blocks, ...selectors]) {
    if (only) {
      for (const id of only) if (selected.has(id)) out.add(id);
    } else {
      for (const id of selected) out.add(id);
    }
  }
  return out;
}

/** Port specs of a rule; named ports go through `named`. No ports = every protocol and port. */
function portSpecs(ports: PolicyPort[], named: (p: PolicyPort) => PortSpec[]): PortSpec[] {
  if (ports.length === 0) return [{ protocol: PROTO.ANY, port: 0, prefixLen: 0 }];
  return ports.flatMap((p): PortSpec[] => {
    const protocol = PROTOCOL_NUMBER[p.protocol];
    if (p.port === undefined) return [{ protocol, port: 0, prefixLen: 0 }];
    if (typeof p.port === "string") return named(p);
    if (p.endPort === undefined) return [{ protocol, port: p.port, prefixLen: 16 }];
    return portRangeToPrefixes(p.port, p.endPort).map(({ port, prefixLen }) => ({
      protocol,
      port,
      prefixLen,
    }));
  });
}

/** Distinct numeric port specs of a rule (named ports left out): a lower bound on its specs. */
export function numericSpecCount(ports: PolicyPort[]): number {
  const specs = portSpecs(ports, () => []);
  return new Set(specs.map((s) => `${s.protocol}/${s.port}/${s.prefixLen}`)).size;
}

function resolveNamed(p: PolicyPort, ports: EndpointPort[]): PortSpec[] {
  return ports
    .filter((ep) => ep.name === p.port && ep.protocol === p.protocol)
    .map((ep) => ({ protocol: PROTOCOL_NUMBER[ep.protocol], port: ep.port, prefixLen: 16 }));
}

function specsKey(specs: PortSpec[]): string {
  return specs
    .map((s) => `${s.protocol}/${s.port}/${s.prefixLen}`)
    .sort()
    .join(",");
}

function add(job: RuleJob, direction: Direction, remoteIdentity: number, spec: PortSpec): void {
  const entry: PolicyEntry = {
    policySetId: job.set.id,
    direction,
    remoteIdentity,
    protocol: spec.protocol,
    port: spec.protocol === PROTO.ANY ? 0 : spec.port,
    portPrefixLen: spec.protocol === PROTO.ANY ? 0 : spec.prefixLen,
    // An audit-view NetworkPolicy allow says `accept`: an agent that predates audit mode refuses
    // it (its schema knows only `allow` there) instead of enforcing it as a deployed allow.
    verdict: job.tier?.verdict ?? (job.audit ? "accept" : "allow"),
    policyId: job.policyId,
    ruleIndex: job.ruleIndex,
  };
  if (job.tier) {
    entry.tier = job.tier.tier;
    entry.priority = job.tier.priority;
  }
  if (job.audit) entry.audit = true;
  const key = policyKey(entry);
  // Policies are additive: the first (lowest policy id, then rule) keeps the attribution. Tier
  // rules come in precedence order, so there too the first is the one that decides.
  if (job.out.entries.has(key)) return;
  job.out.entries.set(key, entry);
  if (job.out.entries.size > job.ctx.maxEntries) job.ctx.refuse(job.set.id, job.out.entries.size);
}
