/* Owns packet parsing: bounded, verifier-friendly L2/L3/L4 parsing into struct pal_packet. Every
 * short or malformed header returns a named drop reason (reasons.h); ARP and IPv6 neighbour
 * discovery return their deliberate pass reasons. */
#ifndef PAL_PARSING_H
#define PAL_PARSING_H

#include <linux/types.h>

/* Parsed view of one packet; addresses in network order, ports in host order. */
struct pal_packet {
	__u8 family;   /* 4 or 6 */
	__u8 protocol; /* IANA protocol of the transport header (after IPv6 extension headers) */
	__u8 tcp_flags;
	__u8 icmp_type;
	__u16 src_port; /* ICMP echo: the identifier in both ports */
	__u16 dst_port;
	__u8 src_addr[16];
	__u8 dst_addr[16];
	__u16 l4_off;  /* transport header's offset from skb->data (an ICMP error quotes a packet 8 bytes on) */
	__u16 frag_id; /* IPv4 identification, when frag != PAL_FRAG_NONE */
	__u8 frag;     /* PAL_FRAG_* */
	__u8 pad[3];
};

#define PAL_FRAG_NONE 0
#define PAL_FRAG_FIRST 1 /* offset 0, more fragments follow: carries the ports */
#define PAL_FRAG_LATER 2 /* non-zero offset: no transport header */

#define PAL_TCP_FIN 0x01
#define PAL_TCP_SYN 0x02
#define PAL_TCP_RST 0x04
#define PAL_TCP_ACK 0x10

#define PAL_IPV6_EXT_MAX 4 /* extension headers walked before giving up */
#define PAL_PULL_LEN 128   /* bytes made linear when headers are not */

#ifdef __bpf__
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include "reasons.h"

struct pal_ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

static __always_inline int pal_parse_l4(void *l4, void *end, struct pal_packet *p)
{
	switch (p->protocol) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;
		if ((void *)(th + 1) > end || th->doff < 5)
			return PAL_DROP_MALFORMED_L4;
		p->src_port = bpf_ntohs(th->source);
		p->dst_port = bpf_ntohs(th->dest);
		p->tcp_flags = ((__u8 *)th)[13];
		return 0;
	}
	case IPPROTO_UDP:
	case IPPROTO_SCTP: {
		/* Both start with source and destination port; SCTP's common header is 12 bytes. */
		__u32 need = p->protocol == IPPROTO_UDP ? 8 : 12;
		__be16 *ports = l4;
		if (l4 + need > end)
			return PAL_DROP_MALFORMED_L4;
		p->src_port = bpf_ntohs(ports[0]);
		p->dst_port = bpf_ntohs(ports[1]);
		return 0;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 *icmp = l4;
		if (l4 + 8 > end)
			return PAL_DROP_MALFORMED_L4;
		p->icmp_type = icmp[0];
		__u8 t = icmp[0];
		int echo = p->protocol == IPPROTO_ICMP ? (t == 0 || t == 8) : (t == 128 || t == 129);
		if (echo) {
			__u16 id = ((__u16)icmp[4] << 8) | icmp[5];
			p->src_port = id;
			p->dst_port = id;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static __always_inline int pal_parse_ipv4(void *l3, void *end, struct pal_packet *p)
{
	struct iphdr *ip = l3;
	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
		return PAL_DROP_MALFORMED_IPV4;
	__u32 hl = ip->ihl * 4;
	if (l3 + hl > end)
		return PAL_DROP_MALFORMED_IPV4;
	p->family = 4;
	p->protocol = ip->protocol;
	__builtin_memcpy(p->src_addr, &ip->saddr, 4);
	__builtin_memcpy(p->dst_addr, &ip->daddr, 4);
	__u16 frag_off = bpf_ntohs(ip->frag_off);
	if (frag_off & 0x3fff) {
		p->frag_id = bpf_ntohs(ip->id);
		if (frag_off & 0x1fff) {
			p->frag = PAL_FRAG_LATER;
			return PAL_DROP_FRAGMENT; /* fragments.h may find its ports */
		}
		p->frag = PAL_FRAG_FIRST;
	}
	p->l4_off = sizeof(struct ethhdr) + hl;
	return pal_parse_l4(l3 + hl, end, p);
}

static __always_inline int pal_parse_ipv6(void *l3, void *end, struct pal_packet *p)
{
	struct ipv6hdr *ip6 = l3;
	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return PAL_DROP_MALFORMED_IPV6;
	p->family = 6;
	__builtin_memcpy(p->src_addr, &ip6->saddr, 16);
	__builtin_memcpy(p->dst_addr, &ip6->daddr, 16);
	__u8 nh = ip6->nexthdr;
	void *cur = ip6 + 1;
#pragma unroll
	for (int i = 0; i < PAL_IPV6_EXT_MAX; i++) {
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS) {
			__u8 *h = cur;
			if (cur + 8 > end)
				return PAL_DROP_MALFORMED_IPV6;
			nh = h[0];
			cur += ((__u32)h[1] + 1) * 8;
		} else if (nh == IPPROTO_AH) {
			__u8 *h = cur;
			if (cur + 8 > end)
				return PAL_DROP_MALFORMED_IPV6;
			nh = h[0];
			cur += ((__u32)h[1] + 2) * 4;
		} else if (nh == IPPROTO_FRAGMENT) {
			struct pal_ipv6_frag *f = cur;
			if ((void *)(f + 1) > end)
				return PAL_DROP_MALFORMED_IPV6;
			if (bpf_ntohs(f->frag_off) & 0xfff8)
				return PAL_DROP_FRAGMENT;
			nh = f->nexthdr;
			cur += 8;
		} else {
			p->protocol = nh;
			p->l4_off = sizeof(struct ethhdr) + (cur - l3);
			return pal_parse_l4(cur, end, p);
		}
	}
	return PAL_DROP_IPV6_EXT_LIMIT;
}

static __always_inline int pal_is_neighbour_discovery(const struct pal_packet *p)
{
	return p->family == 6 && p->protocol == IPPROTO_ICMPV6 && p->icmp_type >= 133 &&
	       p->icmp_type <= 137;
}

static __always_inline int pal_parse_linear(struct __sk_buff *skb, struct pal_packet *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return PAL_DROP_SHORT_ETHERNET;
	int rc;
	switch (bpf_ntohs(eth->h_proto)) {
	case ETH_P_ARP:
		return PAL_PASS_ARP;
	case ETH_P_IP:
		return pal_parse_ipv4(eth + 1, end, p);
	case ETH_P_IPV6:
		rc = pal_parse_ipv6(eth + 1, end, p);
		if (rc == 0 && pal_is_neighbour_discovery(p))
			return PAL_PASS_NEIGHBOUR;
		return rc;
	default:
		return PAL_DROP_UNSUPPORTED_L2;
	}
}

static __always_inline int pal_is_truncation(int rc)
{
	return rc == PAL_DROP_SHORT_ETHERNET || rc == PAL_DROP_MALFORMED_IPV4 ||
	       rc == PAL_DROP_MALFORMED_IPV6 || rc == PAL_DROP_MALFORMED_L4;
}

/* The second parse, after headers that ran past the linear part were pulled in: rare, so a BPF
 * subprogram (one out-of-line copy of the parser) rather than a second inlined copy in the
 * per-packet path. Returns rc, the first parse's result, when the pull fails. */
static __noinline int pal_parse_pulled(struct __sk_buff *skb, struct pal_packet *p, int rc)
{
	__u32 want = skb->len < PAL_PULL_LEN ? skb->len : PAL_PULL_LEN;
	if (bpf_skb_pull_data(skb, want) != 0)
		return rc;
	__builtin_memset(p, 0, sizeof(*p));
	return pal_parse_linear(skb, p);
}

/* Parses the frame at skb->data. Returns 0 for an IP packet to decide on, a PAL_PASS_* reason
 * for traffic passed deliberately, or a PAL_DROP_* reason. Headers are read in place; only when
 * they run past the linear part of a larger skb is it pulled (a pull copies the head of cloned
 * skbs such as TCP's, so it must not happen on every packet). */
static __always_inline int pal_parse(struct __sk_buff *skb, struct pal_packet *p)
{
	int rc = pal_parse_linear(skb, p);
	if (!pal_is_truncation(rc) || skb->data_end - skb->data >= skb->len)
		return rc;
	return pal_parse_pulled(skb, p, rc);
}
#endif

#endif
