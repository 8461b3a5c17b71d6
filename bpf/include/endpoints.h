/* Owns the endpoints map: host-side interface index -> local endpoint. Mirrored by
 * bpf/lib/codecs/endpoints.ts. */
#ifndef PAL_ENDPOINTS_H
#define PAL_ENDPOINTS_H

#include <linux/types.h>

#define PAL_EP_INGRESS_ISOLATED (1u << 0)
#define PAL_EP_EGRESS_ISOLATED (1u << 1)
/* Audit mode (tiers.h): a policy in audit mode affects the direction; isolated in the audit view. */
#define PAL_EP_INGRESS_AUDIT (1u << 2)
#define PAL_EP_EGRESS_AUDIT (1u << 3)
#define PAL_EP_INGRESS_ISOLATED_ALL (1u << 4)
#define PAL_EP_EGRESS_ISOLATED_ALL (1u << 5)
/* An enforced cluster policy of that tier selects the endpoint in that direction (tiers.h looks
 * the tier up only then). */
#define PAL_EP_INGRESS_ADMIN (1u << 6)
#define PAL_EP_EGRESS_ADMIN (1u << 7)
#define PAL_EP_INGRESS_BASELINE (1u << 8)
#define PAL_EP_EGRESS_BASELINE (1u << 9)

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
#endif

#endif
