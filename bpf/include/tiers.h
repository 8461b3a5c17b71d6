/* Owns the ClusterNetworkPolicy tiers in the datapath (Admin before NetworkPolicy, Baseline after
 * it). Tier entries live in the policy map (policy.h) beside NetworkPolicy allows:
 *   key:   the direction byte holds direction | tier << 1 (tier 0 = NetworkPolicy);
 *   value: verdict is the rule's action (ACCEPT, DENY, PASS), rule_index holds
 *          priority << PAL_TIER_RULE_BITS | rule, policy_id the ClusterNetworkPolicy's id.
 * Within one remote identity the compiler leaves no entry that a containing entry outranks, so the
 * longest-prefix match is the best-ranked match (api/policy/compiler/tier-entries.ts); across the
 * peer's identity and its prefix identity this file compares the two hits. Mirrored by
 * bpf/lib/codecs/policy.ts; the TypeScript model is wire/policy-lookup.ts.
 *
 * Audit mode: for a direction a policy in audit mode affects (PAL_EP_*_AUDIT), a packet the
 * deployed policies pass is decided again in the audit view (every policy enforced; tier codes
 * PAL_TIER_AUDIT_VIEW + tier, NetworkPolicy entries with code PAL_TIER_AUDIT_VIEW, where a DENY
 * entry of any identity and protocol marks isolation). If that view denies, the packet still
 * passes, as PAL_PASS_AUDIT, attributed to the denying policy and rule, and is evented.
 *
 * Namespace identities: a cluster policy peer that selects whole namespaces is one tier entry per
 * namespace, under the namespace's identity (PAL_FIRST_NAMESPACE_IDENTITY up to the prefix
 * identities), instead of one per label identity of every matching namespace. The namespace map
 * (label identity -> namespace identity) lives in the ipcache under a reserved IPv6 /96
 * (PAL_NS_MAP_*, wire/entries.ts namespaceMapPrefix): one /128 per label identity. A lookup there
 * counts only when it returns a namespace identity: a shorter prefix that covers the range (an
 * ipBlock of ::/0) yields world, and label identities stay below the namespace range. */
#ifndef PAL_TIERS_H
#define PAL_TIERS_H

#include <linux/types.h>

#include "ipcache.h"

#define PAL_TIER_ADMIN 1
#define PAL_TIER_BASELINE 2
#define PAL_TIER_AUDIT_VIEW 3

#define PAL_VERDICT_ACCEPT 2
#define PAL_VERDICT_DENY 3
#define PAL_VERDICT_PASS 4

/* Tier entries for peers that select every pod use this remote identity (wire IDENTITY_ANY_POD);
 * it matches any label identity (PAL_FIRST_LABEL_IDENTITY up to the namespace identities). */
#define PAL_IDENTITY_ANY_POD 3
#define PAL_FIRST_LABEL_IDENTITY 256
#define PAL_FIRST_NAMESPACE_IDENTITY 0x00f00000
#define PAL_FIRST_PREFIX_IDENTITY 0x01000000

/* The namespace map's reserved /96: fdff:ffff:ffff:ffff:ffff:ffff::/96, label identity in the low 32 bits. */
#define PAL_NS_MAP_BYTE0 0xfd
#define PAL_NS_MAP_FILL 0xff

#define PAL_TIER_RULE_BITS 5
#define PAL_TIER_RULE_MASK ((1u << PAL_TIER_RULE_BITS) - 1)

#ifdef __bpf__
/* The best tier entry found so far for one packet (verdict 0: none). */
struct pal_tier_hit {
	__u64 order;
	__u32 policy_id;
	__u16 rule_index;
	__u8 verdict;
	__u8 flags;
};

/* Precedence within a tier, lower first: priority, then policy id, then rule (as tierOrder). */
static __always_inline __u64 pal_tier_order(const struct pal_policy_value *pv)
{
	return ((__u64)(pv->rule_index >> PAL_TIER_RULE_BITS) << 37) | ((__u64)pv->policy_id << 5) |
	       (pv->rule_index & PAL_TIER_RULE_MASK);
}

static __always_inline void pal_tier_probe(struct pal_policy_key *k, __u32 identity,
					   struct pal_tier_hit *best)
{
	k->remote_identity = identity;
	struct pal_policy_value *pv = bpf_map_lookup_elem(&pal_policy_v1, k);
	if (!pv)
		return;
	__u64 order = pal_tier_order(pv);
	if (best->verdict != 0 && order >= best->order)
		return;
	best->order = order;
	best->policy_id = pv->policy_id;
	best->rule_index = pv->rule_index & PAL_TIER_RULE_MASK;
	best->verdict = pv->verdict;
	best->flags = pv->flags;
}

/* The namespace identity of a label identity (0 for any other identity, or when the map has none). */
static __always_inline __u32 pal_namespace_identity(__u32 identity)
{
	if (identity < PAL_FIRST_LABEL_IDENTITY || identity >= PAL_FIRST_NAMESPACE_IDENTITY)
		return 0;
	struct pal_ipcache_key k = {.prefixlen = PAL_IPCACHE_PREFIX_BASE + 128, .family = 6};
	k.addr[0] = PAL_NS_MAP_BYTE0;
#pragma unroll
	for (int i = 1; i < 12; i++)
		k.addr[i] = PAL_NS_MAP_FILL;
	k.addr[12] = identity >> 24;
	k.addr[13] = identity >> 16;
	k.addr[14] = identity >> 8;
	k.addr[15] = identity;
	struct pal_ipcache_value *v = bpf_map_lookup_elem(&pal_ipcache_v1, &k);
	if (!v || v->identity < PAL_FIRST_NAMESPACE_IDENTITY || v->identity >= PAL_FIRST_PREFIX_IDENTITY)
		return 0;
	return v->identity;
}

/* Looks the packet up in one tier under the peer's identity, its prefix identity and, for a pod,
 * every pod and its namespace; returns 1 and fills `hit` when a rule of the tier matches (whatever
 * its action). */
static __always_inline int pal_tier_lookup(__u32 policy_set_id, __u8 dir, __u8 tier, __u8 protocol,
					   __be16 port, __u32 identity, __u32 prefix_identity,
					   struct pal_tier_hit *hit)
{
	struct pal_policy_key k = {
		.prefixlen = PAL_POLICY_PREFIX_FULL,
		.policy_set_id = policy_set_id,
		.direction = dir | (tier << 1),
		.protocol = protocol,
		.port = port,
	};
	pal_tier_probe(&k, identity, hit);
	if (prefix_identity != 0)
		pal_tier_probe(&k, prefix_identity, hit);
	if (identity >= PAL_FIRST_LABEL_IDENTITY && identity < PAL_FIRST_NAMESPACE_IDENTITY) {
		pal_tier_probe(&k, PAL_IDENTITY_ANY_POD, hit);
		__u32 ns = pal_namespace_identity(identity);
		if (ns != 0)
			pal_tier_probe(&k, ns, hit);
	}
	return hit->verdict != 0;
}

/* One NetworkPolicy lookup of the audit view: -1 no entry, 0 allow, 1 the isolation marker. */
static __always_inline int pal_audit_np_probe(struct pal_policy_key *k, __u32 identity, __u32 *policy_id)
{
	k->remote_identity = identity;
	struct pal_policy_value *pv = bpf_map_lookup_elem(&pal_policy_v1, k);
	if (!pv)
		return -1;
	if (pv->verdict != PAL_VERDICT_DENY)
		return 0;
	*policy_id = pv->policy_id;
	return 1;
}

/* The audit view's decision for a packet the deployed policies passed: 1 (and the denying policy
 * and rule) when it denies, 0 when it allows. */
static __always_inline int pal_audit_denies(const struct pal_endpoint *ep, __u8 dir, __u8 protocol,
					    __be16 port, __u32 identity, __u32 prefix_identity,
					    __u32 *policy_id, __u16 *rule_index)
{
	struct pal_tier_hit hit = {};
	if (pal_tier_lookup(ep->policy_set_id, dir, PAL_TIER_AUDIT_VIEW + PAL_TIER_ADMIN, protocol, port,
			    identity, prefix_identity, &hit) &&
	    hit.verdict != PAL_VERDICT_PASS) {
		*policy_id = hit.policy_id;
		*rule_index = hit.rule_index;
		return hit.verdict == PAL_VERDICT_DENY;
	}
	__u32 isolated = dir == PAL_DIR_INGRESS ? PAL_EP_INGRESS_ISOLATED_ALL : PAL_EP_EGRESS_ISOLATED_ALL;
	if (!(ep->flags & isolated)) {
		struct pal_tier_hit base = {};
		if (!pal_tier_lookup(ep->policy_set_id, dir, PAL_TIER_AUDIT_VIEW + PAL_TIER_BASELINE, protocol,
				     port, identity, prefix_identity, &base) ||
		    base.verdict != PAL_VERDICT_DENY)
			return 0;
		*policy_id = base.policy_id;
		*rule_index = base.rule_index;
		return 1;
	}
	struct pal_policy_key k = {
		.prefixlen = PAL_POLICY_PREFIX_FULL,
		.policy_set_id = ep->policy_set_id,
		.direction = dir | (PAL_TIER_AUDIT_VIEW << 1),
		.protocol = protocol,
		.port = port,
	};
	*rule_index = 0;
	int r = pal_audit_np_probe(&k, identity, policy_id);
	if (r < 0 && prefix_identity != 0)
		r = pal_audit_np_probe(&k, prefix_identity, policy_id);
	if (r < 0)
		r = pal_audit_np_probe(&k, PAL_IDENTITY_ANY, policy_id);
	/* Isolated with no entry at all cannot happen (the marker covers everything); deny if it does. */
	if (r < 0)
		*policy_id = 0;
	return r != 0;
}
#endif

#endif
