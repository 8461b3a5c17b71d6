// Mirrors bpf/include/policy.h and tiers.h (the owners): LPM key {prefixlen, policy_set_id,
// remote_identity, direction (with the tier in its upper bits), protocol, port (big-endian)} and
// value {verdict, flags, rule_index (a tier entry: priority << 5 | rule), policy_id}.
import {
  type Direction,
  type PolicyEntry,
  type PolicyKeyFields,
  portPrefixMask,
  type TierName,
} from "../../../wire/entries.ts";
import { readU16, readU32, type StructLayout, writeU16, writeU32 } from "./layout.ts";

export const POLICY_KEY_LAYOUT: StructLayout = {
  struct: "pal_policy_key",
  size: 16,
  fields: {
    prefixlen: [0, 4],
    policy_set_id: [4, 4],
    remote_identity: [8, 4],
    direction: [12, 1],
    protocol: [13, 1],
    port: [14, 2],
  },
};
export const POLICY_VALUE_LAYOUT: StructLayout = {
  struct: "pal_policy_value",
  size: 8,
  fields: { verdict: [0, 1], flags: [1, 1], rule_index: [2, 2], policy_id: [4, 4] },
};
export const POLICY_PREFIX_ANY_PROTO = 72;
export const POLICY_PREFIX_ANY_PORT = 80;
export const POLICY_PREFIX_FULL = 96;
export const DIR_INGRESS = 0;
export const DIR_EGRESS = 1;
export const VERDICT_DROP = 0;
export const VERDICT_ALLOW = 1;
/** Tier entry actions (tiers.h). */
export const VERDICT_ACCEPT = 2;
export const VERDICT_DENY = 3;
export const VERDICT_PASS = 4;
export const POLICY_F_AUDIT = 1;
/**
 * Tier codes in the direction byte: direction | tier << 1 (0 = NetworkPolicy). The audit view
 * (policies in audit mode enforced) has its own codes: TIER_AUDIT_VIEW + the tier code.
 */
export const TIER_ADMIN = 1;
export const TIER_BASELINE = 2;
export const TIER_AUDIT_VIEW = 3;
/** Bits of rule_index that hold a tier entry's rule; the priority sits above them. */
export const TIER_RULE_BITS = 5;

const TIER_CODE: Record<TierName, number> = { admin: TIER_ADMIN, baseline: TIER_BASELINE };
const VERDICT_CODE: Record<PolicyEntry["verdict"], number> = {
  allow: VERDICT_ALLOW,
  accept: VERDICT_ACCEPT,
  deny: VERDICT_DENY,
  pass: VERDICT_PASS,
};
const VERDICT_NAME = new Map(Object.entries(VERDICT_CODE).map(([k, v]) => [v, k as PolicyEntry["verdict"]]));

export function directionCode(d: Direction): number {
  return d === "ingress" ? DIR_INGRESS : DIR_EGRESS;
}

export function directionName(code: number): Direction {
  return (code & 1) === DIR_INGRESS ? "ingress" : "egress";
}

/** The direction byte of a key: the direction, with the tier (if any) above it. */
export function directionByte(e: Pick<PolicyKeyFields, "direction" | "tier" | "audit">): number {
  const tier = (e.tier === undefined ? 0 : TIER_CODE[e.tier]) + (e.audit ? TIER_AUDIT_VIEW : 0);
  return directionCode(e.direction) | (tier << 1);
}

function tierOf(byte: number): { tier?: TierName; audit: boolean } {
  const raw = byte >> 1;
  const audit = raw >= TIER_AUDIT_VIEW;
  const code = audit ? raw - TIER_AUDIT_VIEW : raw;
  if (code === TIER_ADMIN) return { tier: "admin", audit };
  return code === TIER_BASELINE ? { tier: "baseline", audit } : { audit };
}

export type { PolicyKeyFields };

/** Key of a policy entry; bits past the prefix are zeroed so that dumps read back canonical keys. */
export function encodePolicyKey(e: PolicyKeyFields): Buffer {
  const b = Buffer.alloc(POLICY_KEY_LAYOUT.size);
  writePolicyKey(b, 0, e);
  return b;
}

/** Writes the key at `at` (batches encode straight into one buffer). */
export function writePolicyKey(b: Buffer, at: number, e: PolicyKeyFields): void {
  const anyProto = e.protocol === 0;
  const portLen = anyProto ? 0 : e.portPrefixLen;
  writeU32(b, at, anyProto ? POLICY_PREFIX_ANY_PROTO : POLICY_PREFIX_ANY_PORT + portLen);
  writeU32(b, at + 4, e.policySetId);
  writeU32(b, at + 8, e.remoteIdentity);
  b[at + 12] = directionByte(e);
  b[at + 13] = e.protocol;
  b.writeUInt16BE(e.port & portPrefixMask(portLen), at + 14);
}

export function decodePolicyKey(b: Buffer): PolicyKeyFields {
  const prefixlen = readU32(b, 0);
  const protocol = prefixlen <= POLICY_PREFIX_ANY_PROTO ? 0 : b[13]!;
  const out: PolicyKeyFields = {
    policySetId: readU32(b, 4),
    remoteIdentity: readU32(b, 8),
    direction: directionName(b[12]!),
    protocol,
    port: protocol === 0 ? 0 : b.readUInt16BE(14),
    portPrefixLen: protocol === 0 ? 0 : prefixlen - POLICY_PREFIX_ANY_PORT,
  };
  const { tier, audit } = tierOf(b[12]!);
  if (tier !== undefined) out.tier = tier;
  if (audit) out.audit = true;
  return out;
}

/** What a value encodes: the attribution, and for a tier or audit-view entry its action and priority. */
export type PolicyValueFields = Pick<PolicyEntry, "policyId" | "ruleIndex"> &
  Partial<Pick<PolicyEntry, "verdict" | "tier" | "priority" | "audit">>;

export function encodePolicyValue(e: PolicyValueFields, flags = 0): Buffer {
  const b = Buffer.alloc(POLICY_VALUE_LAYOUT.size);
  writePolicyValue(b, 0, e, flags);
  return b;
}

export function writePolicyValue(b: Buffer, at: number, e: PolicyValueFields, flags = 0): void {
  const tier = e.tier !== undefined;
  b[at] = tier || e.audit ? VERDICT_CODE[e.verdict ?? "deny"] : VERDICT_ALLOW;
  b[at + 1] = flags;
  // A tier entry carries its priority so the datapath can compare entries found under different
  // remote identities (the peer's, its prefix's).
  writeU16(b, at + 2, tier ? ((e.priority ?? 0) << TIER_RULE_BITS) | e.ruleIndex : e.ruleIndex);
  writeU32(b, at + 4, e.policyId);
}

/** The entry value fields of a decoded key and value (the inverse of the two writers). */
export function policyEntryOf(key: PolicyKeyFields, raw: ReturnType<typeof decodePolicyValue>): PolicyEntry {
  if (key.tier === undefined) {
    const verdict = key.audit ? (VERDICT_NAME.get(raw.verdict) ?? "deny") : "allow";
    return { ...key, verdict, policyId: raw.policyId, ruleIndex: raw.ruleIndex };
  }
  const entry: PolicyEntry = {
    ...key,
    verdict: VERDICT_NAME.get(raw.verdict) ?? "deny",
    policyId: raw.policyId,
    ruleIndex: raw.ruleIndex & ((1 << TIER_RULE_BITS) - 1),
    priority: raw.ruleIndex >> TIER_RULE_BITS,
  };
  return entry;
}

export function decodePolicyValue(b: Buffer): {
  verdict: number;
  flags: number;
  ruleIndex: number;
  policyId: number;
} {
  return { verdict: b[0]!, flags: b[1]!, ruleIndex: readU16(b, 2), policyId: readU32(b, 4) };
}
