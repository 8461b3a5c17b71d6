/* Owns the conntrack map: per-endpoint flow state, so that replies and later packets of an allowed
 * flow pass without a policy decision. Mirrored by bpf/lib/codecs/conntrack.ts.
 *
 * The key is the flow as seen by ONE endpoint (local = the pod's side, remote = the peer), so both
 * directions of a flow map to one entry, and an entry created by one endpoint's check can never
 * match a packet checked for another endpoint (endpoint_id is part of the key). */
#ifndef PAL_CONNTRACK_H
#define PAL_CONNTRACK_H

#include <linux/types.h>

/* v2: the value gained `generation` (v1 was 24 bytes); a pinned v1 map is left alone. */

/* key, 44 bytes:
 *   0 endpoint_id   4 family   5 protocol   6 pad   8 local_addr[16]   24 remote_addr[16]
 *  40 local_port   42 remote_port   (ports in host byte order; ICMP echo: local_port = id) */
struct pal_ct_key {
	__u32 endpoint_id;
	__u8 family;
	__u8 protocol;
	__u16 pad;
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 local_port;
	__u16 remote_port;
};

#define PAL_CT_SYN_SENT 1
#define PAL_CT_ESTABLISHED 2
#define PAL_CT_FIN 3   /* one side sent FIN */
#define PAL_CT_CLOSE 4 /* both sides sent FIN, or RST */
#define PAL_CT_OTHER 5 /* non-TCP flow */

#define PAL_CT_F_FIN_ORIGIN (1u << 0)
#define PAL_CT_F_FIN_REPLY (1u << 1)

/* Lifetimes in seconds; each packet of the flow renews its entry by the lifetime of its state. */
#define PAL_CT_TIMEOUT_SYN 60
#define PAL_CT_TIMEOUT_ESTABLISHED 21600
#define PAL_CT_TIMEOUT_FIN 300
#define PAL_CT_TIMEOUT_CLOSE 10
#define PAL_CT_TIMEOUT_OTHER 60
#define PAL_CT_TIMEOUT_ICMP 30

/* value, 32 bytes:
 *   0 expires_ns (bpf_ktime_get_coarse_ns: CLOCK_MONOTONIC, jiffy resolution)   8 policy_id   12 rule_index   14 state
 *  15 origin (PAL_DIR_* of the packet that created it)  16 peer_identity   20 flags (PAL_CT_F_*)
 *  21 pad[3]   24 generation (pal_generation_v1 when the flow was last judged)   28 pad2 */
struct pal_ct_value {
	__u64 expires_ns;
	__u32 policy_id;
	__u16 rule_index;
	__u8 state;
	__u8 origin;
	__u32 peer_identity;
	__u8 flags;
	__u8 pad[3];
	__u32 generation;
	__u32 pad2;
};

/* Revocation. The policy generation (array, one entry), 4 bytes: 0 generation. Userspace adds one
 * after every write to the endpoint, ipcache or policy map (bpf/lib/datapath-maps.ts). A tracked
 * flow whose entry carries another generation is judged again by policy (in its original
 * direction) before its packet passes: a flow the new state still allows gets the new attribution
 * and generation, a flow it denies loses its entry and the packet is dropped. One node-wide
 * counter rather than one per endpoint: an ipcache change (every pod start or label change) can
 * move any peer to another identity, so it would have to bump every endpoint anyway, and a re-judge
 * costs one policy decision per active flow per apply (docs/datapath.md measures it). */
struct pal_generation {
	__u32 generation;
};

#ifdef __bpf__
#ifndef PAL_CONNTRACK_MAX
#define PAL_CONNTRACK_MAX 262144
#endif
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PAL_CONNTRACK_MAX);
	__type(key, struct pal_ct_key);
	__type(value, struct pal_ct_value);
} pal_conntrack_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pal_generation);
} pal_generation_v1 SEC(".maps");

/* The current policy generation (0 if the map cannot be read, which never happens for an array). */
static __always_inline __u32 pal_policy_generation(void)
{
	__u32 zero = 0;
	struct pal_generation *g = bpf_map_lookup_elem(&pal_generation_v1, &zero);
	return g ? g->generation : 0;
}
#endif

#endif
