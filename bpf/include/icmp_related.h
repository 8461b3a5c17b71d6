/* Owns ICMP errors related to a tracked flow: Destination Unreachable (including IPv4's
 * Fragmentation Needed), Packet Too Big, Time Exceeded and Parameter Problem quote the head of
 * the packet they are about. When that packet belongs to a flow this endpoint tracks, the error
 * passes as PAL_PASS_RELATED instead of being judged as plain ICMP: path-MTU discovery and
 * traceroute keep working under a default-deny policy. The TypeScript model (bpf/lib/model/
 * icmp-related.ts) reads the quoted packet the same way. */
#ifndef PAL_ICMP_RELATED_H
#define PAL_ICMP_RELATED_H

#include "parsing.h"

#ifdef __bpf__
/* Whether p is an ICMP error that quotes a packet (ICMP 3, 11, 12; ICMPv6 1, 2, 3, 4). */
static __always_inline int pal_icmp_is_error(const struct pal_packet *p)
{
	__u8 t = p->icmp_type;
	if (p->protocol == IPPROTO_ICMP)
		return t == 3 || t == 11 || t == 12;
	if (p->protocol == IPPROTO_ICMPV6)
		return t >= 1 && t <= 4;
	return 0;
}

/* Parses the packet quoted by ICMP error p into q (family, protocol, addresses, ports as in
 * pal_parse). Returns 1 when it names a flow conntrack could hold: same family as the error, not
 * a later fragment, TCP/UDP/SCTP (ports: the first 4 bytes are enough) or an ICMP echo. Only the
 * linear part of the skb is read: an error whose quote is not there is judged as plain ICMP. */
static __always_inline int pal_icmp_quoted(struct __sk_buff *skb, const struct pal_packet *p,
					   struct pal_packet *q)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 off = p->l4_off;
	if (off > PAL_PULL_LEN)
		return 0;
	void *l3 = data + off + 8;
	void *l4;
	if (p->family == 4) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
			return 0;
		if (bpf_ntohs(ip->frag_off) & 0x1fff)
			return 0;
		q->family = 4;
		q->protocol = ip->protocol;
		__builtin_memcpy(q->src_addr, &ip->saddr, 4);
		__builtin_memcpy(q->dst_addr, &ip->daddr, 4);
		l4 = l3 + ip->ihl * 4;
	} else {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end || ip6->version != 6)
			return 0;
		q->family = 6;
		q->protocol = ip6->nexthdr; /* extension headers in a quote are not walked */
		__builtin_memcpy(q->src_addr, &ip6->saddr, 16);
		__builtin_memcpy(q->dst_addr, &ip6->daddr, 16);
		l4 = ip6 + 1;
	}
	__u8 *h = l4;
	switch (q->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (l4 + 4 > end)
			return 0;
		q->src_port = ((__u16)h[0] << 8) | h[1];
		q->dst_port = ((__u16)h[2] << 8) | h[3];
		return 1;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		if (l4 + 8 > end)
			return 0;
		__u8 t = h[0];
		int echo = q->protocol == IPPROTO_ICMP ? (t == 0 || t == 8) : (t == 128 || t == 129);
		if (!echo || q->protocol != (q->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6))
			return 0;
		q->src_port = ((__u16)h[4] << 8) | h[5];
		q->dst_port = q->src_port;
		return 1;
	}
	default:
		return 0;
	}
}
#endif

#endif
