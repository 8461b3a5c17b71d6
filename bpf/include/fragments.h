/* Owns IPv4 fragment tracking: the first fragment of a datagram carries its ports, the later
 * ones do not. The first fragment's ports are kept per (source, destination, protocol,
 * identification) in a bounded LRU map, so that later fragments are judged as the flow they
 * belong to (conntrack, then policy: an allowed flow's fragments pass, a denied one's are dropped
 * like its first fragment). A later fragment with no entry (first one never seen, evicted or
 * older than the reassembly timeout) stays dropped as PAL_DROP_FRAGMENT. IPv6 fragments are not
 * tracked. Mirrored by bpf/lib/codecs/fragments.ts; the model is bpf/lib/model/fragments.ts. */
#ifndef PAL_FRAGMENTS_H
#define PAL_FRAGMENTS_H

#include <linux/types.h>

/* key, 12 bytes: 0 src_addr[4]   4 dst_addr[4]   8 frag_id (host order)   10 protocol   11 pad */
struct pal_frag_key {
	__u8 src_addr[4];
	__u8 dst_addr[4];
	__u16 frag_id;
	__u8 protocol;
	__u8 pad;
};

/* value, 16 bytes: 0 expires_ns   8 src_port   10 dst_port (host order)   12 pad */
struct pal_frag_value {
	__u64 expires_ns;
	__u16 src_port;
	__u16 dst_port;
	__u32 pad;
};

#define PAL_FRAG_TIMEOUT 30 /* seconds, as the kernel's default ipfrag_time */

#ifdef __bpf__
#include "parsing.h"
#include "reasons.h"

#ifndef PAL_FRAGMENTS_MAX
#define PAL_FRAGMENTS_MAX 8192
#endif
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PAL_FRAGMENTS_MAX);
	__type(key, struct pal_frag_key);
	__type(value, struct pal_frag_value);
} pal_fragments_v1 SEC(".maps");

static __always_inline void pal_frag_key_of(struct pal_frag_key *k, const struct pal_packet *p)
{
	__builtin_memcpy(k->src_addr, p->src_addr, 4);
	__builtin_memcpy(k->dst_addr, p->dst_addr, 4);
	k->frag_id = p->frag_id;
	k->protocol = p->protocol;
}

/* Takes the parse result of p: a first fragment's ports are remembered; a later fragment gets its
 * datagram's ports back and is decided on (0), or stays PAL_DROP_FRAGMENT. */
static __always_inline int pal_fragment(struct pal_packet *p, int parsed, __u64 now)
{
	if (p->frag == PAL_FRAG_NONE || p->family != 4)
		return parsed;
	struct pal_frag_key k = {};
	pal_frag_key_of(&k, p);
	if (p->frag == PAL_FRAG_FIRST) {
		if (parsed == 0) {
			struct pal_frag_value v = {
				.expires_ns = now + PAL_FRAG_TIMEOUT * 1000000000ULL,
				.src_port = p->src_port,
				.dst_port = p->dst_port,
			};
			bpf_map_update_elem(&pal_fragments_v1, &k, &v, BPF_ANY);
		}
		return parsed;
	}
	struct pal_frag_value *v = bpf_map_lookup_elem(&pal_fragments_v1, &k);
	if (!v || now >= v->expires_ns)
		return parsed;
	p->src_port = v->src_port;
	p->dst_port = v->dst_port;
	return 0;
}
#endif

#endif
