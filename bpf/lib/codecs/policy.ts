// Mirrors bpf/include/policy.h (the owner): LPM key {prefixlen, policy_set_id, remote_identity,
// direction, protocol, port (big-endian)} and value {verdict, flags, rule_index, policy_id}.
import {
  type Direction,
  type PolicyEntry,
  type PolicyKeyFields,
  portPrefixMask,
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

export function directionCode(d: Direction): number {
  return d === "ingress" ? DIR_INGRESS : DIR_EGRESS;
}

export function directionName(code: number): Direction {
  return code === DIR_INGRESS ? "ingress" : "egress";
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
  b[at + 12] = directionCode(e.direction);
  b[at + 13] = e.protocol;
  b.writeUInt16BE(e.port & portPrefixMask(portLen), at + 14);
}

export function decodePolicyKey(b: Buffer): PolicyKeyFields {
  const prefixlen = readU32(b, 0);
  const protocol = prefixlen <= POLICY_PREFIX_ANY_PROTO ? 0 : b[13]!;
  return {
    policySetId: readU32(b, 4),
    remoteIdentity: readU32(b, 8),
    direction: directionName(b[12]!),
    protocol,
    port: protocol === 0 ? 0 : b.readUInt16BE(14),
    portPrefixLen: protocol === 0 ? 0 : prefixlen - POLICY_PREFIX_ANY_PORT,
  };
}

export function encodePolicyValue(e: Pick<PolicyEntry, "policyId" | "ruleIndex">, flags = 0): Buffer {
  const b = Buffer.alloc(POLICY_VALUE_LAYOUT.size);
  writePolicyValue(b, 0, e, flags);
  return b;
}

export function writePolicyValue(
  b: Buffer,
  at: number,
  e: Pick<PolicyEntry, "policyId" | "ruleIndex">,
  flags = 0,
): void {
  b[at] = VERDICT_ALLOW;
  b[at + 1] = flags;
  writeU16(b, at + 2, e.ruleIndex);
  writeU32(b, at + 4, e.policyId);
}

export function decodePolicyValue(b: Buffer): {
  verdict: number;
  flags: number;
  ruleIndex: number;
  policyId: number;
} {
  return { verdict: b[0]!, flags: b[1]!, ruleIndex: readU16(b, 2), policyId: readU32(b, 4) };
}
