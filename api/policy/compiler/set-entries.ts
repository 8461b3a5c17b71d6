// Computes one policy set's entries and isolation from the policies that select it (pure given its
// context): Kubernetes rule semantics live here, and the cluster tiers' entries (tier-entries.ts).
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
import { pruneShadowed } from "./tier-entries.ts";
import type { CompiledRule, EndpointRec, PolicyRec, PolicySet } from "./types.ts";

export interface SetContext {
  /** Policies in the set's namespace whose podSelector selects the identity, by ascending id. */
  policiesSelecting(identity: number): PolicyRec[];
  /** Cluster policies whose subject selects the identity, by (priority, id). */
  clusterPoliciesSelecting(identity: number): PolicyRec[];
  /** Label identities and prefix identities a peer selects. */
  peerIdentities(peer: CompiledRule["peers"][number]): ReadonlySet<number>;
  /**
   * Prefix identities that any of the ipBlocks selects, in one pass over the prefixes (not one per
   * block), cached on `owner` while no prefix comes or goes.
   */
  blockIdentities(owner: object, blockKeys: readonly string[]): ReadonlySet<number>;
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

/** Bits of SetResult.setFlags (EndpointEntry's audit fields). */
export const AUDIT_INGRESS = 1;
export const AUDIT_EGRESS = 2;
export const ISOLATED_ALL_INGRESS = 4;
export const ISOLATED_ALL_EGRESS = 8;
/** An enforced cluster policy of the tier selects the set with rules in the direction. */
export const ADMIN_INGRESS = 16;
export const ADMIN_EGRESS = 32;
export const BASELINE_INGRESS = 64;
export const BASELINE_EGRESS = 128;

/**
 * The set's entries and isolation. With `only`, entries are computed just for those remote
 * identities (a partial recompute after identities came or went; not valid with named egress ports).
 *
 * Two views: the deployed one, without the policies in audit mode (they never isolate nor decide
 * by themselves), and, for a direction that some policy in audit mode affects, the audit view
 * with every policy enforced, which the datapath consults after a pass to report `audit`.
 */
export function computeSetEntries(
  set: Pick<PolicySet, "id" | "identity" | "ports">,
  ctx: SetContext,
  only?: ReadonlySet<number>,
): SetResult {
  const out: SetResult = { entries: new Map(), ingressPolicyId: 0, egressPolicyId: 0, setFlags: 0 };
  const policies = ctx.policiesSelecting(set.identity);
  const clusters = ctx.clusterPoliciesSelecting(set.identity);
  const enforced = (p: PolicyRec) => !(p.cluster?.audit ?? p.audit);
  const deployed = addView(
    { out, set, ctx, only, audit: false },
    policies.filter(enforced),
    clusters.filter(enforced),
    {
      ingress: true,
      egress: true,
    },
  );
  out.ingressPolicyId = deployed.ingress;
  out.egressPolicyId = deployed.egress;
  // Which tiers the datapath must look up: from the policies selecting the set, never from the
  // entries (a partial recompute may add a tier's first entry without recomputing these).
  for (const c of clusters.filter(enforced)) {
    const admin = c.cluster!.tier === "admin";
    if (c.ingress.length > 0) out.setFlags |= admin ? ADMIN_INGRESS : BASELINE_INGRESS;
    if (c.egress.length > 0) out.setFlags |= admin ? ADMIN_EGRESS : BASELINE_EGRESS;
  }
  const audited = [...policies, ...clusters].filter((p) => !enforced(p));
  if (audited.length === 0) return out;
  const dirs = {
    ingress: audited.some((p) =>
      p.cluster ? p.ingress.length > 0 : p.policy.spec.policyTypes.includes("Ingress"),
    ),
    egress: audited.some((p) =>
      p.cluster ? p.egress.length > 0 : p.policy.spec.policyTypes.includes("Egress"),
    ),
  };
  const all = addView({ out, set, ctx, only, audit: true }, policies, clusters, dirs);
  out.setFlags |=
    (dirs.ingress ? AUDIT_INGRESS : 0) |
    (dirs.egress ? AUDIT_EGRESS : 0) |
    (dirs.ingress && all.ingress !== 0 ? ISOLATED_ALL_INGRESS : 0) |
    (dirs.egress && all.egress !== 0 ? ISOLATED_ALL_EGRESS : 0);
  if (only) return out;
  // The audit view's isolation marker: what no allow entry matches is denied, named for the
  // first isolating policy (an allow-everything entry at the same key wins: nothing is denied).
  for (const direction of ["ingress", "egress"] as const) {
    const policyId = all[direction];
    if (!dirs[direction] || policyId === 0) continue;
    const marker: PolicyEntry = {
      policySetId: set.id,
      direction,
      remoteIdentity: IDENTITY_ANY,
      protocol: PROTO.ANY,
      port: 0,
      portPrefixLen: 0,
      verdict: "deny",
      policyId,
      ruleIndex: 0,
      audit: true,
    };
    const key = policyKey(marker);
    if (!out.entries.has(key)) out.entries.set(key, marker);
  }
  return out;
}

interface ViewJob {
  out: SetResult;
  set: Pick<PolicySet, "id" | "ports">;
  ctx: SetContext;
  only: ReadonlySet<number> | undefined;
  audit: boolean;
}

/** Adds one view's entries (the given directions only); returns the first isolating policy per direction. */
function addView(
  view: ViewJob,
  policies: PolicyRec[],
  clusters: PolicyRec[],
  dirs: { ingress: boolean; egress: boolean },
): { ingress: number; egress: number } {
  const { out, set, ctx, only, audit } = view;
  const isolating = { ingress: 0, egress: 0 };
  for (const rec of policies) {
    const types = rec.policy.spec.policyTypes;
    if (dirs.ingress && types.includes("Ingress")) {
      if (isolating.ingress === 0) isolating.ingress = rec.id;
      for (const [ruleIndex, rule] of rec.ingress.entries()) {
        addIngressRule({ out, set, policyId: rec.id, ruleIndex, rule, ctx, only, audit });
      }
    }
    if (dirs.egress && types.includes("Egress")) {
      if (isolating.egress === 0) isolating.egress = rec.id;
      for (const [ruleIndex, rule] of rec.egress.entries()) {
        addEgressRule({ out, set, policyId: rec.id, ruleIndex, rule, ctx, only, audit });
      }
    }
  }
  // Cluster tiers: entries go in by precedence, so at one key the first (best) rule stays; then
  // every entry a containing entry of better precedence shadows is dropped (see tier-entries.ts).
  const tierStart = out.entries.size;
  for (const rec of clusters) {
    const info = rec.cluster!;
    const tier = { tier: info.tier, priority: info.priority };
    if (dirs.ingress) {
      for (const [ruleIndex, rule] of rec.ingress.entries()) {
        const t = { ...tier, verdict: info.ingress[ruleIndex]!.action };
        addIngressRule({ out, set, policyId: rec.id, ruleIndex, rule, ctx, only, audit, tier: t });
      }
    }
    if (dirs.egress) {
      for (const [ruleIndex, rule] of rec.egress.entries()) {
        const t = { ...tier, verdict: info.egress[ruleIndex]!.action };
        addEgressRule({ out, set, policyId: rec.id, ruleIndex, rule, ctx, only, audit, tier: t });
      }
    }
  }
  if (out.entries.size > tierStart) pruneShadowed(out.entries);
  return isolating;
}

/** One rule of one policy being compiled into one set's entries. */
interface RuleJob {
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

function addIngressRule(job: RuleJob): void {
  const { rule, ctx, only } = job;
  // Named ports of an ingress rule name ports of the destination: this set's own endpoints.
  const specs = portSpecs(rule.ports, (p) => resolveNamed(p, job.set.ports));
  const remotes = remoteIdentities(rule, ctx, only);
  checkRuleSize(job, remotes.size, specs);
  for (const remote of remotes) {
    for (const spec of specs) add(job, "ingress", remote, spec);
  }
}

function addEgressRule(job: RuleJob): void {
  const { rule, ctx, only } = job;
  const numeric = portSpecs(rule.ports, () => []);
  const named = rule.ports.filter((p) => typeof p.port === "string");
  const remotes = remoteIdentities(rule, ctx, only);
  checkRuleSize(job, remotes.size, numeric);
  for (const remote of remotes) {
    for (const spec of numeric) add(job, "egress", remote, spec);
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
  if (rule.peers.length === 0) return only ? new Set() : new Set([IDENTITY_ANY]);
  const blockKeys: string[] = [];
  const selectors: ReadonlySet<number>[] = [];
  for (const peer of rule.peers) {
    if (peer.kind === "block") blockKeys.push(peer.key);
    // A tier peer of every pod is one entry (IDENTITY_ANY_POD), whatever pods come and go.
    else if (peer.kind === "allPods") selectors.push(only ? new Set() : ANY_POD);
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
    verdict: job.tier?.verdict ?? "allow",
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
