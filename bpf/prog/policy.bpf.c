// SPDX-License-Identifier: GPL-2.0
/* Palisade policy programs for a pod's host-side veth: from_pod (tc ingress: the pod's egress
 * policy) and to_pod (tc egress: the pod's ingress policy). One object serves every endpoint;
 * the endpoint is found by the interface index of the packet.
 *
 * Verdict algorithm (bpf/lib/model/memory-datapath.ts is the same algorithm in TypeScript):
 *   1. endpoint by skb->ifindex (endpoints.h); none -> drop UNKNOWN_ENDPOINT (never fail open)
 *   2. parse; malformed -> drop with its reason; ARP, neighbour discovery -> pass deliberately;
 *      a later IPv4 fragment gets its first fragment's ports (fragments.h) or drops FRAGMENT
 *   3. an ICMP error quoting a packet of a flow this endpoint tracks -> pass RELATED
 *   4. conntrack hit (unexpired) for this endpoint, not starting a new connection -> pass
 *      CONNTRACK; if the policy generation changed since the flow was judged, it is judged again
 *      first (pal_ct_revalidate): still allowed -> pass with the new attribution, denied -> the
 *      entry is deleted and the packet dropped (docs/datapath.md)
 *   5. policy decision (pal_decide: Admin tier, NetworkPolicy, Baseline tier; then pal_audit); a
 *      pass creates (or replaces) the conntrack entry for this endpoint, a drop deletes one that
 *      was there
 * Every verdict is counted; every drop, every audit pass and every new connection (the packet that
 * creates a conntrack entry; sampled) is evented, rate-limited per CPU. The verdict trace is left in
 * skb->cb[0..4] (reason, remote identity, policy id, rule index, endpoint id) for tests that
 * read it back through BPF_PROG_TEST_RUN's ctx_out; cb is tc scratch space. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "reasons.h"
#include "endpoints.h"
#include "ipcache.h"
#include "policy.h"
#include "tiers.h"
#include "conntrack.h"
#include "conntrack_state.h"
#include "counters.h"
#include "events.h"
#include "parsing.h"
#include "icmp_related.h"
#include "fragments.h"

struct pal_verdict {
	int reason;
	__u32 identity; /* remote identity used for the decision (0 before the ipcache lookup) */
	__u32 policy_id;
	__u16 rule_index;
};

static __always_inline void pal_remote_addr(const struct pal_packet *p, __u8 dir, __u8 *out)
{
	__builtin_memcpy(out, dir == PAL_DIR_EGRESS ? p->dst_addr : p->src_addr, 16);
}

static __always_inline void pal_ct_key_of(struct pal_ct_key *k, const struct pal_endpoint *ep,
					  const struct pal_packet *p, __u8 dir)
{
	k->endpoint_id = ep->endpoint_id;
	k->family = p->family;
	k->protocol = p->protocol;
	if (dir == PAL_DIR_EGRESS) {
		__builtin_memcpy(k->local_addr, p->src_addr, 16);
		__builtin_memcpy(k->remote_addr, p->dst_addr, 16);
		k->local_port = p->src_port;
		k->remote_port = p->dst_port;
	} else {
		__builtin_memcpy(k->local_addr, p->dst_addr, 16);
		__builtin_memcpy(k->remote_addr, p->src_addr, 16);
		k->local_port = p->dst_port;
		k->remote_port = p->src_port;
	}
}

static __always_inline int pal_policy_lookup(struct pal_policy_key *k, __u32 identity,
					     struct pal_verdict *v)
{
	k->remote_identity = identity;
	struct pal_policy_value *pv = bpf_map_lookup_elem(&pal_policy_v1, k);
	if (!pv || pv->verdict != PAL_VERDICT_ALLOW)
		return 0;
	v->reason = PAL_PASS_POLICY;
	v->policy_id = pv->policy_id;
	v->rule_index = pv->rule_index;
	return 1;
}

/* A tier's Accept or Deny decides (1); a Pass, or no match, hands on (0). */
static __always_inline int pal_tier_decides(const struct pal_endpoint *ep, const struct pal_packet *p,
					    __u8 dir, __u8 tier, __u32 identity, __u32 prefix_identity,
					    __be16 port, struct pal_verdict *v)
{
	__u32 has = tier == PAL_TIER_ADMIN
			    ? (dir == PAL_DIR_INGRESS ? PAL_EP_INGRESS_ADMIN : PAL_EP_EGRESS_ADMIN)
			    : (dir == PAL_DIR_INGRESS ? PAL_EP_INGRESS_BASELINE : PAL_EP_EGRESS_BASELINE);
	if (!(ep->flags & has))
		return 0;
	struct pal_tier_hit hit = {};
	if (!pal_tier_lookup(ep->policy_set_id, dir, tier, p->protocol, port, identity, prefix_identity,
			     &hit) ||
	    hit.verdict == PAL_VERDICT_PASS)
		return 0;
	int accept = hit.verdict == PAL_VERDICT_ACCEPT;
	if (tier == PAL_TIER_ADMIN)
		v->reason = accept ? PAL_PASS_ADMIN : PAL_DROP_ADMIN_DENIED;
	else
		v->reason = accept ? PAL_PASS_BASELINE : PAL_DROP_BASELINE_DENIED;
	v->policy_id = hit.policy_id;
	v->rule_index = hit.rule_index;
	return 1;
}

/* Code layout. Every helper below used to be inlined, and pal_decide was inlined three times (new
 * flow, and the revalidation of tracked flows and of related ICMP errors): each program was 24 KB
 * of machine code, with the few instructions an established packet runs spread through it. In
 * real traffic the kernel's own work between two packets evicts much of the program, so a spread
 * path costs more cache misses than a compact one (bench/datapath/README.md: in situ, and side by
 * side). The paths that run once per connection or less (the decision, audit, related ICMP
 * errors, events; the re-parse in parsing.h) are BPF subprograms (__noinline: one copy each,
 * called), so that the per-packet path is short and contiguous; a call costs a few ns on the
 * paths that take it. Subprograms take at most five arguments and return an int. */

/* Audit mode: a new flow the deployed policies pass, in a direction a policy in audit mode affects,
 * passes as PAL_PASS_AUDIT (named for the policy that would drop it) when the audit view denies. */
static __noinline int pal_audit(const struct pal_endpoint *ep, const struct pal_packet *p, __u8 dir,
				struct pal_verdict *v)
{
	__u32 audited = dir == PAL_DIR_INGRESS ? PAL_EP_INGRESS_AUDIT : PAL_EP_EGRESS_AUDIT;
	if (v->reason <= 0 || v->reason == PAL_PASS_HOST || !(ep->flags & audited))
		return 0;
	struct pal_ipcache_key ik = {.prefixlen = PAL_IPCACHE_PREFIX_BASE + 128, .family = p->family};
	pal_remote_addr(p, dir, ik.addr);
	struct pal_ipcache_value *iv = bpf_map_lookup_elem(&pal_ipcache_v1, &ik);
	__u32 prefix_identity = iv ? iv->prefix_identity : 0;
	int icmp = p->protocol == IPPROTO_ICMP || p->protocol == IPPROTO_ICMPV6;
	__u32 policy_id = 0;
	__u16 rule_index = 0;
	if (!pal_audit_denies(ep, dir, p->protocol, bpf_htons(icmp ? 0 : p->dst_port), v->identity,
			      prefix_identity, &policy_id, &rule_index))
		return 0;
	v->reason = PAL_PASS_AUDIT;
	v->policy_id = policy_id;
	v->rule_index = rule_index;
	return 0;
}

/* The policy decision for a packet without conntrack state (v->reason: > 0 pass, < 0 drop). */
static __noinline int pal_decide(const struct pal_endpoint *ep, const struct pal_packet *p, __u8 dir,
				 struct pal_verdict *v)
{
	struct pal_ipcache_key ik = {.prefixlen = PAL_IPCACHE_PREFIX_BASE + 128, .family = p->family};
	pal_remote_addr(p, dir, ik.addr);
	struct pal_ipcache_value *iv = bpf_map_lookup_elem(&pal_ipcache_v1, &ik);
	__u32 identity = iv ? iv->identity : PAL_IDENTITY_WORLD;
	__u32 prefix_identity = iv ? iv->prefix_identity : 0;
	v->identity = identity;

	if (dir == PAL_DIR_INGRESS && identity == PAL_IDENTITY_HOST) {
		v->reason = PAL_PASS_HOST;
		return 0;
	}
	int icmp = p->protocol == IPPROTO_ICMP || p->protocol == IPPROTO_ICMPV6;
	__be16 port = bpf_htons(icmp ? 0 : p->dst_port);
	if (pal_tier_decides(ep, p, dir, PAL_TIER_ADMIN, identity, prefix_identity, port, v))
		return 0;
	__u32 isolated = dir == PAL_DIR_INGRESS ? PAL_EP_INGRESS_ISOLATED : PAL_EP_EGRESS_ISOLATED;
	if (!(ep->flags & isolated)) {
		if (pal_tier_decides(ep, p, dir, PAL_TIER_BASELINE, identity, prefix_identity, port, v))
			return 0;
		v->reason = PAL_PASS_NOT_ISOLATED;
		return 0;
	}
	struct pal_policy_key pk = {
		.prefixlen = PAL_POLICY_PREFIX_FULL,
		.policy_set_id = ep->policy_set_id,
		.direction = dir,
		.protocol = p->protocol,
		.port = port,
	};
	if (pal_policy_lookup(&pk, identity, v))
		return 0;
	if (prefix_identity != 0 && pal_policy_lookup(&pk, prefix_identity, v))
		return 0;
	if (pal_policy_lookup(&pk, PAL_IDENTITY_ANY, v))
		return 0;
	v->reason = PAL_DROP_POLICY_DENIED;
	v->policy_id = dir == PAL_DIR_INGRESS ? ep->ingress_policy_id : ep->egress_policy_id;
	v->rule_index = 0;
	return 0;
}

/* The conntrack entry of a flow a decision passed: created, or, when the lookup found one (a
 * reused tuple: a SYN on a closed or expired entry, a new connection with the same ports), reset
 * in place. Both leave the same value; the in-place write saves the map update, which hashes the
 * key again and takes a fresh element from the LRU lists, links it and frees the old one (about
 * as much as the rest of a new connection's work): with clients reusing ports faster than a
 * closed entry's 10 s, most new connections under churn find their tuple's entry. In-place writes
 * are how every tracked packet already updates its entry. */
static __always_inline void pal_ct_create(const struct pal_ct_key *k, struct pal_ct_value *found,
					  const struct pal_packet *p, __u8 dir,
					  const struct pal_verdict *v, __u64 now, __u32 generation)
{
	struct pal_ct_value cv = {
		.policy_id = v->policy_id,
		.rule_index = v->rule_index,
		.state = pal_ct_initial_state(p),
		.origin = dir,
		.peer_identity = v->identity,
		.generation = generation,
	};
	cv.expires_ns = now + pal_ct_timeout_ns(&cv, p->protocol);
	if (found)
		*found = cv;
	else
		bpf_map_update_elem(&pal_conntrack_v2, k, &cv, BPF_ANY);
}

/* Judges a tracked flow again after a policy change, in its original direction whatever the
 * direction of packet p. Returns 1 (entry refreshed: new attribution and generation) when still
 * allowed; 0 when denied, with v holding the denial's attribution. */
static __always_inline int pal_ct_revalidate(const struct pal_endpoint *ep,
					     const struct pal_ct_key *k, struct pal_ct_value *cv,
					     __u32 generation, struct pal_verdict *v)
{
	struct pal_packet o = {};
	pal_ct_origin_packet(k, cv->origin, &o);
	pal_decide(ep, &o, cv->origin, v);
	if (v->reason < 0)
		return 0;
	cv->policy_id = v->policy_id;
	cv->rule_index = v->rule_index;
	cv->peer_identity = v->identity;
	cv->generation = generation;
	return 1;
}

/* An ICMP error about a flow this endpoint tracks passes as related (icmp_related.h), after the
 * flow is judged again if the policy generation changed. Returns 1 with v set when it passes.
 * Called only for ICMP errors (pal_icmp_is_error), which are rare: it reads the generation and the
 * clock itself rather than take more arguments. */
static __noinline int pal_related(struct __sk_buff *skb, const struct pal_endpoint *ep,
				  const struct pal_packet *p, __u8 dir, struct pal_verdict *v)
{
	struct pal_ct_key k = {};
	{
		/* Scoped, so that its stack slot is free again for the revalidation's packet below:
		 * this frame sits between the program's and pal_decide's, within 512 bytes in all. */
		struct pal_packet q = {};
		if (!pal_icmp_quoted(skb, p, &q))
			return 0;
		/* the quoted packet crossed this endpoint the other way */
		pal_ct_key_of(&k, ep, &q, dir ^ 1);
	}
	__u32 generation = pal_policy_generation();
	__u64 now = bpf_ktime_get_coarse_ns();
	struct pal_ct_value *cv = bpf_map_lookup_elem(&pal_conntrack_v2, &k);
	if (!cv || now >= cv->expires_ns)
		return 0;
	if (cv->generation != generation && !pal_ct_revalidate(ep, &k, cv, generation, v)) {
		bpf_map_delete_elem(&pal_conntrack_v2, &k);
		__builtin_memset(v, 0, sizeof(*v));
		return 0; /* the flow is revoked: the error is plain ICMP again */
	}
	v->reason = PAL_PASS_RELATED;
	v->identity = cv->peer_identity;
	v->policy_id = cv->policy_id;
	v->rule_index = cv->rule_index;
	return 1;
}

/* When and what an event reports (one argument: subprograms take at most five). */
struct pal_event_meta {
	__u64 now;
	__u8 dir;
	__u8 kind;
};

/* A flow event: a drop (kind PAL_EVENT_DROP) or a new connection (PAL_EVENT_NEW_FLOW). */
static __noinline int pal_emit(struct __sk_buff *skb, const struct pal_endpoint *ep,
			       const struct pal_packet *p, const struct pal_verdict *v,
			       const struct pal_event_meta *m)
{
	__u64 now = m->now;
	__u8 dir = m->dir;
	__u8 kind = m->kind;
	struct pal_event_bucket *b = pal_event_take_token(now, kind == PAL_EVENT_NEW_FLOW);
	if (!b)
		return 0;
	struct pal_drop_event *e = bpf_ringbuf_reserve(&pal_events_v1, sizeof(*e), 0);
	if (!e) {
		b->lost += 1;
		return 0;
	}
	/* every field is written below (no memset): pads explicitly */
	e->pad2 = 0;
	e->pad3 = 0;
	e->timestamp_ns = now;
	e->endpoint_id = ep ? ep->endpoint_id : 0;
	e->ifindex = skb->ifindex;
	e->reason = v->reason;
	e->peer_identity = v->identity;
	e->policy_id = v->policy_id;
	e->rule_index = v->rule_index;
	e->direction = dir;
	e->family = p->family;
	e->protocol = p->protocol;
	e->kind = kind;
	e->src_port = p->src_port;
	e->dst_port = p->dst_port;
	__builtin_memcpy(e->src_addr, p->src_addr, 16);
	__builtin_memcpy(e->dst_addr, p->dst_addr, 16);
	e->packet_len = skb->len;
	/* A wakeup costs the sending CPU an irq_work (microseconds here), and an idle reader is woken
	 * by every record: a new connection wakes nobody (readers also poll every PAL_EVENT_POLL_MS)
	 * except the record that takes the backlog past PAL_EVENT_WAKE_BYTES. A drop wakes the reader
	 * as before (adaptively: only when it had caught up). */
	__u64 wake = 0;
	if (kind == PAL_EVENT_NEW_FLOW) {
		__u64 avail = bpf_ringbuf_query(&pal_events_v1, BPF_RB_AVAIL_DATA);
		wake = avail > PAL_EVENT_WAKE_BYTES && avail <= PAL_EVENT_WAKE_BYTES + 4 * sizeof(*e)
			       ? BPF_RB_FORCE_WAKEUP
			       : BPF_RB_NO_WAKEUP;
	}
	bpf_ringbuf_submit(e, wake);
	b->emitted += 1;
	return 0;
}

static __always_inline void pal_emit_event(struct __sk_buff *skb, const struct pal_endpoint *ep,
					   const struct pal_packet *p, __u8 dir,
					   const struct pal_verdict *v, __u64 now, __u8 kind)
{
	struct pal_event_meta m = {.now = now, .dir = dir, .kind = kind};
	pal_emit(skb, ep, p, v, &m);
}

static __always_inline int pal_finish(struct __sk_buff *skb, const struct pal_endpoint *ep,
				      const struct pal_packet *p, __u8 dir,
				      const struct pal_verdict *v, __u64 now)
{
	pal_count(dir, v->reason, skb->len);
	skb->cb[0] = (__u32)v->reason;
	skb->cb[1] = v->identity;
	skb->cb[2] = v->policy_id;
	skb->cb[3] = v->rule_index;
	skb->cb[4] = ep ? ep->endpoint_id : 0;
	if (v->reason > 0) {
		/* An audit pass is reported like a drop (its reason says it passed). */
		if (v->reason == PAL_PASS_AUDIT)
			pal_emit_event(skb, ep, p, dir, v, now, PAL_EVENT_DROP);
		return TC_ACT_OK;
	}
	pal_emit_event(skb, ep, p, dir, v, now, PAL_EVENT_DROP);
	return TC_ACT_SHOT;
}

#ifdef PAL_BENCH_NEW_FLOWS
/* Benchmark build only (build/policy_bench.bpf.o): BPF_PROG_TEST_RUN reuses one skb for every
 * repetition, so adding one to the IPv4 source address makes each repetition a new flow. */
static __always_inline void pal_bench_next_flow(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 *saddr = data + 14 + 12;
	if ((void *)(saddr + 1) <= end)
		*saddr = bpf_htonl(bpf_ntohl(*saddr) + 1);
}
#endif

static __always_inline int pal_handle(struct __sk_buff *skb, __u8 dir)
{
	struct pal_packet p = {};
	struct pal_verdict v = {};
#ifdef PAL_BENCH_NEW_FLOWS
	pal_bench_next_flow(skb);
#endif
	/* Coarse monotonic time (jiffy resolution) is enough for lifetimes in seconds and the event
	 * bucket, and much cheaper than a clock read on every packet. */
	__u64 now = bpf_ktime_get_coarse_ns();
	int parsed = pal_parse(skb, &p);
	__u32 ifindex = skb->ifindex;
	struct pal_endpoint *ep = pal_endpoint_of(ifindex);
	if (!ep) {
		v.reason = PAL_DROP_UNKNOWN_ENDPOINT;
		return pal_finish(skb, ep, &p, dir, &v, now);
	}
	parsed = pal_fragment(&p, parsed, now);
	if (parsed != 0) {
		v.reason = parsed;
		return pal_finish(skb, ep, &p, dir, &v, now);
	}
	struct pal_ct_key ck = {};
	pal_ct_key_of(&ck, ep, &p, dir);
	if (pal_icmp_is_error(&p) && pal_related(skb, ep, &p, dir, &v))
		return pal_finish(skb, ep, &p, dir, &v, now);
	__u32 generation = pal_policy_generation();
	struct pal_ct_value *cv = bpf_map_lookup_elem(&pal_conntrack_v2, &ck);
#ifdef PAL_BENCH_REVALIDATE
	/* Benchmark build only (build/policy_revalidate.bpf.o): every packet re-judges its flow. */
	if (cv)
		cv->generation = generation - 1;
#endif
	if (cv && now < cv->expires_ns && !pal_ct_starts_connection(cv, &p, cv->origin == dir)) {
		if (cv->generation != generation && !pal_ct_revalidate(ep, &ck, cv, generation, &v)) {
			bpf_map_delete_elem(&pal_conntrack_v2, &ck);
			return pal_finish(skb, ep, &p, dir, &v, now);
		}
		pal_ct_advance(cv, &p, cv->origin == dir);
		cv->expires_ns = now + pal_ct_timeout_ns(cv, p.protocol);
		v.reason = PAL_PASS_CONNTRACK;
		v.identity = cv->peer_identity;
		v.policy_id = cv->policy_id;
		v.rule_index = cv->rule_index;
		return pal_finish(skb, ep, &p, dir, &v, now);
	}
	pal_decide(ep, &p, dir, &v);
	pal_audit(ep, &p, dir, &v);
	if (v.reason > 0) {
		pal_ct_create(&ck, cv, &p, dir, &v, now, generation);
		/* flow events: the packet that creates the entry reports the new connection (an audit
		 * pass is reported once, as the drop it would have been: pal_finish) */
		if (v.reason != PAL_PASS_AUDIT)
			pal_emit_event(skb, ep, &p, dir, &v, now, PAL_EVENT_NEW_FLOW);
	} else if (cv) {
		bpf_map_delete_elem(&pal_conntrack_v2, &ck);
	}
	return pal_finish(skb, ep, &p, dir, &v, now);
}

SEC("tc")
int from_pod(struct __sk_buff *skb)
{
	return pal_handle(skb, PAL_DIR_EGRESS);
}

SEC("tc")
int to_pod(struct __sk_buff *skb)
{
	return pal_handle(skb, PAL_DIR_INGRESS);
}

char LICENSE[] SEC("license") = "GPL";
