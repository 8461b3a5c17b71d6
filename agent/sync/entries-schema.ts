// Owns validating the entries inside snapshots and deltas: the envelope schema of wire/sync.ts
// leaves them as records, and the agent must not write what its datapath cannot encode.
import { z } from "zod";
import { canonicalCidr } from "../../wire/cidr.ts";
import type { NodeDelta, NodeState } from "../../wire/entries.ts";

const u32 = z.number().int().min(0).max(0xffff_ffff);
const u16 = z.number().int().min(0).max(0xffff);

// Unknown fields are dropped rather than refused: a newer control plane may add some.
const ipcacheEntry = z.object({
  prefix: z.string().refine((p) => canonicalCidr(p) !== null, "must be a CIDR prefix"),
  identity: u32,
  prefixIdentity: u32,
});

/** Linux interface names: 1-15 bytes, no slash or whitespace; `#` is the agent's orphan marker. */
const interfaceName = z
  .string()
  .regex(/^[^\s/#][^\s/]{0,14}$/, "must be a Linux interface name (1-15 characters)");

const endpointEntry = z.object({
  interface: interfaceName,
  endpointId: u32,
  identity: u32,
  policySetId: u32,
  ingressIsolated: z.boolean(),
  egressIsolated: z.boolean(),
  ingressPolicyId: u32,
  egressPolicyId: u32,
});

const policyEntry = z.object({
  policySetId: u32,
  direction: z.enum(["ingress", "egress"]),
  remoteIdentity: u32,
  protocol: z.number().int().min(0).max(255),
  port: u16,
  portPrefixLen: z.number().int().min(0).max(16),
  verdict: z.literal("allow"),
  policyId: u32,
  ruleIndex: u16,
});

const delta = <T extends z.ZodType>(entry: T) => z.object({ upsert: z.array(entry), remove: z.array(entry) });

export const nodeStateSchema = z.object({
  ipcache: z.array(ipcacheEntry),
  endpoints: z.array(endpointEntry),
  policies: z.array(policyEntry),
});

export const nodeDeltaSchema = z.object({
  ipcache: delta(ipcacheEntry),
  endpoints: delta(endpointEntry),
  policies: delta(policyEntry),
});

export type EntriesResult<T> = { ok: true; value: T } | { ok: false; message: string };

function result<T>(
  parsed: { success: true; data: T } | { success: false; error: z.ZodError },
): EntriesResult<T> {
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    message: `invalid entry at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "?"}`,
  };
}

export function parseNodeState(value: unknown): EntriesResult<NodeState> {
  return result(nodeStateSchema.safeParse(value));
}

export function parseNodeDelta(value: unknown): EntriesResult<NodeDelta> {
  return result(nodeDeltaSchema.safeParse(value));
}
