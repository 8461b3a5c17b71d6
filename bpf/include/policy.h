/* Owns the policy map: (policy set, direction, remote identity, protocol, port prefix) -> verdict
 * and attribution, as a longest-prefix-match trie. Mirrored by bpf/lib/codecs/policy.ts. */
#ifndef PAL_POLICY_H
#define PAL_POLICY_H

#include <linux/types.h>

#define PAL_DIR_INGRESS 0 /* to the pod: tc egress on the host veth */
#define PAL_DIR_EGRESS 1  /* from the pod: tc ingress on the host veth */

/* Data bits matched: policy_set_id 32 + remote_identity 32 + direction 8 = 72 (any protocol);
 * + protocol 8 = 80 (any port of that protocol); + port 16 = 96 (exact port). A port range is a
 * few entries of length 80 + port prefix length. */
#define PAL_POLICY_PREFIX_ANY_PROTO 72
#define PAL_POLICY_PREFIX_ANY_PORT 80
#define PAL_POLICY_PREFIX_FULL 96

/* key, 16 bytes:
 *   0 prefixlen   4 policy_set_id   8 remote_identity   12 direction   13 protocol
 *  14 port (big-endian, so that its prefix is its high bits) */
struct pal_policy_key {
	__u32 prefixlen;
	__u32 policy_set_id;
	__u32 remote_identity;
	__u8 direction;
	__u8 protocol;
	__be16 port;
};

#define PAL_VERDICT_DROP 0
#define PAL_VERDICT_ALLOW 1

/* Reserved for later: audit mode and deny precedence. */
#define PAL_POLICY_F_AUDIT (1u << 0)

/* value, 8 bytes: 0 verdict, 1 flags, 2 rule_index, 4 policy_id */
struct pal_policy_value {
	__u8 verdict;
	__u8 flags;
	__u16 rule_index;
	__u32 policy_id;
};

#ifdef __bpf__
#ifndef PAL_POLICY_MAX
#define PAL_POLICY_MAX 262144
#endif
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PAL_POLICY_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pal_policy_key);
	__type(value, struct pal_policy_value);
} pal_policy_v1 SEC(".maps");
#endif

#endif
