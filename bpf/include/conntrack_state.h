/* Owns the conntrack state machine: how a packet moves a flow's state and renews its lifetime.
 * The TypeScript model (bpf/lib/model/conntrack.ts) implements the same transitions. */
#ifndef PAL_CONNTRACK_STATE_H
#define PAL_CONNTRACK_STATE_H

#include "conntrack.h"
#include "parsing.h"
#include "policy.h"

#ifdef __bpf__
#define PAL_NS_PER_SEC 1000000000ULL

static __always_inline __u64 pal_ct_timeout_ns(const struct pal_ct_value *v, __u8 protocol)
{
	switch (v->state) {
	case PAL_CT_SYN_SENT:
		return PAL_CT_TIMEOUT_SYN * PAL_NS_PER_SEC;
	case PAL_CT_ESTABLISHED:
		return PAL_CT_TIMEOUT_ESTABLISHED * PAL_NS_PER_SEC;
	case PAL_CT_FIN:
		return PAL_CT_TIMEOUT_FIN * PAL_NS_PER_SEC;
	case PAL_CT_CLOSE:
		return PAL_CT_TIMEOUT_CLOSE * PAL_NS_PER_SEC;
	default:
		if (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6)
			return PAL_CT_TIMEOUT_ICMP * PAL_NS_PER_SEC;
		return PAL_CT_TIMEOUT_OTHER * PAL_NS_PER_SEC;
	}
}

/* State of a flow created by packet p. */
static __always_inline __u8 pal_ct_initial_state(const struct pal_packet *p)
{
	if (p->protocol != IPPROTO_TCP)
		return PAL_CT_OTHER;
	if (p->tcp_flags & PAL_TCP_RST)
		return PAL_CT_CLOSE;
	if ((p->tcp_flags & (PAL_TCP_SYN | PAL_TCP_ACK)) == PAL_TCP_SYN)
		return PAL_CT_SYN_SENT;
	return PAL_CT_ESTABLISHED;
}

/* Whether packet p on a tracked flow starts a new connection, which policy must judge whatever
 * the entry says: a SYN without ACK in the original direction (a reused tuple), or in either
 * direction once the flow has closed (the peer opening a connection with the tuple reversed).
 * Other packets on a closed flow (the last ACK, a retransmitted FIN, a RST) finish the close and
 * keep passing: judging them would drop a server's final ACK when its egress is isolated. */
static __always_inline int pal_ct_starts_connection(const struct pal_ct_value *v,
						    const struct pal_packet *p, int is_origin)
{
	if (p->protocol != IPPROTO_TCP || (p->tcp_flags & (PAL_TCP_SYN | PAL_TCP_ACK)) != PAL_TCP_SYN)
		return 0;
	return is_origin || v->state == PAL_CT_CLOSE;
}

/* The tracked flow's packet in its original direction (only what a policy decision reads: family,
 * protocol, addresses and ports), for judging a flow again on a packet of either direction. */
static __always_inline void pal_ct_origin_packet(const struct pal_ct_key *k, __u8 origin,
						 struct pal_packet *o)
{
	o->family = k->family;
	o->protocol = k->protocol;
	if (origin == PAL_DIR_EGRESS) {
		__builtin_memcpy(o->src_addr, k->local_addr, 16);
		__builtin_memcpy(o->dst_addr, k->remote_addr, 16);
		o->src_port = k->local_port;
		o->dst_port = k->remote_port;
	} else {
		__builtin_memcpy(o->src_addr, k->remote_addr, 16);
		__builtin_memcpy(o->dst_addr, k->local_addr, 16);
		o->src_port = k->remote_port;
		o->dst_port = k->local_port;
	}
}

/* Moves the state of a tracked flow for packet p (is_origin: same direction as the creator). */
static __always_inline void pal_ct_advance(struct pal_ct_value *v, const struct pal_packet *p,
					   int is_origin)
{
	if (p->protocol != IPPROTO_TCP)
		return;
	__u8 f = p->tcp_flags;
	if (f & PAL_TCP_RST) {
		v->state = PAL_CT_CLOSE;
		return;
	}
	/* A SYN starting a new connection never gets here: it is judged (pal_ct_starts_connection). */
	if (f & PAL_TCP_FIN) {
		v->flags |= is_origin ? PAL_CT_F_FIN_ORIGIN : PAL_CT_F_FIN_REPLY;
		v->state = (v->flags & (PAL_CT_F_FIN_ORIGIN | PAL_CT_F_FIN_REPLY)) ==
					   (PAL_CT_F_FIN_ORIGIN | PAL_CT_F_FIN_REPLY)
				   ? PAL_CT_CLOSE
				   : PAL_CT_FIN;
		return;
	}
	if (v->state == PAL_CT_SYN_SENT && !is_origin)
		v->state = PAL_CT_ESTABLISHED;
}
#endif

#endif
