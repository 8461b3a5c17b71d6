// Owns which policies make up each view of one policy set, and the set's isolation and flags: the
// deployed view (policies in audit mode left out), the audit view (every policy enforced) for the
// directions an audited policy affects, and the tiers the datapath must look up. The rules
// themselves are expanded by set-entries.ts.
import { IDENTITY_ANY, type PolicyEntry, PROTO, policyKey } from "../../../wire/entries.ts";
import { addEgressRule, addIngressRule, type SetContext, type SetResult } from "./set-entries.ts";
import type { Steps } from "./steps.ts";
import { pruneShadowed } from "./tier-entries.ts";
import type { PolicyRec, PolicySet } from "./types.ts";

/** Bits of SetResult.setFlags (the audit and tier fields of EndpointEntry). */
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
export function* computeSetEntries(
  set: Pick<PolicySet, "id" | "identity" | "ports">,
  ctx: SetContext,
  only?: ReadonlySet<number>,
  tiersOnly = false,
): Steps<SetResult> {
  const out: SetResult = { entries: new Map(), ingressPolicyId: 0, egressPolicyId: 0, setFlags: 0 };
  const policies = ctx.policiesSelecting(set.identity);
  const clusters = ctx.clusterPoliciesSelecting(set.identity);
  const enforced = (p: PolicyRec) => !(p.cluster?.audit ?? p.audit);
  const deployed = yield* addView(
    { out, set, ctx, only, audit: false, tiersOnly },
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
  const all = yield* addView({ out, set, ctx, only, audit: true, tiersOnly }, policies, clusters, dirs);
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
  /** Only tier entries (a cluster policy's remotes): NetworkPolicies count for isolation alone. */
  tiersOnly: boolean;
}

/** Adds one view's entries (the given directions only); returns the first isolating policy per direction. */
function* addView(
  view: ViewJob,
  policies: PolicyRec[],
  clusters: PolicyRec[],
  dirs: { ingress: boolean; egress: boolean },
): Steps<{ ingress: number; egress: number }> {
  const { out, set, ctx, only, audit, tiersOnly } = view;
  const isolating = { ingress: 0, egress: 0 };
  for (const rec of policies) {
    const types = rec.policy.spec.policyTypes;
    if (dirs.ingress && types.includes("Ingress")) {
      if (isolating.ingress === 0) isolating.ingress = rec.id;
      if (!tiersOnly) {
        for (const [ruleIndex, rule] of rec.ingress.entries()) {
          yield* addIngressRule({ out, set, policyId: rec.id, ruleIndex, rule, ctx, only, audit });
        }
      }
    }
    if (dirs.egress && types.includes("Egress")) {
      if (isolating.egress === 0) isolating.egress = rec.id;
      if (!tiersOnly) {
        for (const [ruleIndex, rule] of rec.egress.entries()) {
          yield* addEgressRule({ out, set, policyId: rec.id, ruleIndex, rule, ctx, only, audit });
        }
      }
    }
  }
  // Cluster tiers: entries go in by precedence, so at one key the first (best) rule stays; then
  // every entry a containing entry of better precedence shadows is dropped (see tier-entries.ts).
  const tierStart = out.entries.size;
  for (const rec of clusters) {
    // A partial recompute skips a policy that names none of the remotes being redone.
    if (only && !ctx.namesAny(rec, only)) continue;
    const info = rec.cluster!;
    const tier = { tier: info.tier, priority: info.priority };
    if (dirs.ingress) {
      for (const [ruleIndex, rule] of rec.ingress.entries()) {
        const t = { ...tier, verdict: info.ingress[ruleIndex]!.action };
        yield* addIngressRule({ out, set, policyId: rec.id, ruleIndex, rule, ctx, only, audit, tier: t });
      }
    }
    if (dirs.egress) {
      for (const [ruleIndex, rule] of rec.egress.entries()) {
        const t = { ...tier, verdict: info.egress[ruleIndex]!.action };
        yield* addEgressRule({ out, set, policyId: rec.id, ruleIndex, rule, ctx, only, audit, tier: t });
      }
    }
  }
  if (out.entries.size > tierStart) pruneShadowed(out.entries);
  return isolating;
}
