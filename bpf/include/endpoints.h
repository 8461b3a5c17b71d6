/* Owns the endpoints maps: host-side interface index -> local endpoint. Mirrored by
 * bpf/lib/codecs/endpoints.ts.
 *
 * Two maps, one place per index: an array indexed by ifindex for indexes below
 * PAL_EP_INDEX_MAX (an inlined lookup, ~30 ns cheaper than a hash lookup on every packet), and a
 * hash for the indexes above it (a node whose interface indexes grew past it with pod churn).
 * An array slot is empty unless its flags carry PAL_EP_PRESENT, which every writer sets. */
#ifndef PAL_ENDPOINTS_H
#define PAL_ENDPOINTS_H

#include <linux/types.h>

#define PAL_EP_INGRESS_ISOLATED (1u << 0)
#define PAL_EP_EGRESS_ISOLATED (1u << 1)
#define PAL_EP_PRESENT (1u << 2) /* set in every entry written: an array slot without it is empty */
/* Audit mode (tiers.h): a policy in audit mode affects the direction; isolated in the audit view. */
#define PAL_EP_INGRESS_AUDIT (1u << 3)
#define PAL_EP_EGRESS_AUDIT (1u << 4)
#define PAL_EP_INGRESS_ISOLATED_ALL (1u << 5)
#define PAL_EP_EGRESS_ISOLATED_ALL (1u << 6)
/* An enforced cluster policy of that tier selects the endpoint in that direction (tiers.h looks
 * the tier up only then). */
#define PAL_EP_INGRESS_ADMIN (1u << 7)
#define PAL_EP_EGRESS_ADMIN (1u << 8)
#define PAL_EP_INGRESS_BASELINE (1u << 9)
#define PAL_EP_EGRESS_BASELINE (1u << 10)

#define PAL_EP_INDEX_MAX 16384 /* ifindexes below: pal_endpoints_by_index_v1; the rest: the hash */

/* key: __u32 ifindex (host byte order) */

/* value, 24 bytes:
 *   0 endpoint_id        8 policy_set_id        16 egress_policy_id
 *   4 identity          12 ingress_policy_id    20 flags (PAL_EP_*) */
struct pal_endpoint {
	__u32 endpoint_id;
	__u32 identity;
	__u32 policy_set_id;
	__u32 ingress_policy_id;
	__u32 egress_policy_id;
	__u32 flags;
};

#ifdef __bpf__
#ifndef PAL_ENDPOINTS_MAX
#define PAL_ENDPOINTS_MAX 4096
#endif
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PAL_ENDPOINTS_MAX);
	__type(key, __u32);
	__type(value, struct pal_endpoint);
} pal_endpoints_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PAL_EP_INDEX_MAX);
	__type(key, __u32);
	__type(value, struct pal_endpoint);
} pal_endpoints_by_index_v1 SEC(".maps");

/* The endpoint on interface `ifindex`, or NULL. */
static __always_inline struct pal_endpoint *pal_endpoint_of(__u32 ifindex)
{
	if (ifindex < PAL_EP_INDEX_MAX) {
		struct pal_endpoint *ep = bpf_map_lookup_elem(&pal_endpoints_by_index_v1, &ifindex);
		return ep && (ep->flags & PAL_EP_PRESENT) ? ep : 0;
	}
	return bpf_map_lookup_elem(&pal_endpoints_v1, &ifindex);
}
#endif

#endif
