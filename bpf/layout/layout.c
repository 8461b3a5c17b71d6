/* Prints the byte layout of every map key/value struct and the value of every shared constant
 * as JSON, compiled by the host compiler from the same headers as the BPF programs. The TS codecs
 * are checked against this output by bpf/lib/layout.test.ts, so header drift fails the tests. */
#include <stddef.h>
#include <stdio.h>

#include <linux/bpf.h>

#include "../include/reasons.h"
#include "../include/endpoints.h"
#include "../include/ipcache.h"
#include "../include/policy.h"
#include "../include/tiers.h"
#include "../include/conntrack.h"
#include "../include/counters.h"
#include "../include/events.h"
#include "../include/fragments.h"

static int first_struct = 1;
static int first_field;

static void struct_begin(const char *name, size_t size)
{
	printf("%s\n    \"%s\": {\"size\": %zu, \"fields\": {", first_struct ? "" : ",", name, size);
	first_struct = 0;
	first_field = 1;
}

static void field(const char *name, size_t offset, size_t size)
{
	printf("%s\"%s\": [%zu, %zu]", first_field ? "" : ", ", name, offset, size);
	first_field = 0;
}

static void struct_end(void) { printf("}}"); }

#define F(type, member) field(#member, offsetof(struct type, member), sizeof(((struct type *)0)->member))
#define S(type) struct_begin(#type, sizeof(struct type))
#define C(name) printf("%s\n    \"%s\": %lld", first_const ? "" : ",", #name, (long long)(name)), first_const = 0

int main(void)
{
	printf("{\n  \"structs\": {");
	S(pal_endpoint); F(pal_endpoint, endpoint_id); F(pal_endpoint, identity); F(pal_endpoint, policy_set_id);
	F(pal_endpoint, ingress_policy_id); F(pal_endpoint, egress_policy_id); F(pal_endpoint, flags); struct_end();
	S(pal_ipcache_key); F(pal_ipcache_key, prefixlen); F(pal_ipcache_key, family); F(pal_ipcache_key, addr); struct_end();
	S(pal_ipcache_value); F(pal_ipcache_value, identity); F(pal_ipcache_value, prefix_identity); struct_end();
	S(pal_policy_key); F(pal_policy_key, prefixlen); F(pal_policy_key, policy_set_id); F(pal_policy_key, remote_identity);
	F(pal_policy_key, direction); F(pal_policy_key, protocol); F(pal_policy_key, port); struct_end();
	S(pal_policy_value); F(pal_policy_value, verdict); F(pal_policy_value, flags); F(pal_policy_value, rule_index);
	F(pal_policy_value, policy_id); struct_end();
	S(pal_ct_key); F(pal_ct_key, endpoint_id); F(pal_ct_key, family); F(pal_ct_key, protocol); F(pal_ct_key, local_addr);
	F(pal_ct_key, remote_addr); F(pal_ct_key, local_port); F(pal_ct_key, remote_port); struct_end();
	S(pal_ct_value); F(pal_ct_value, expires_ns); F(pal_ct_value, policy_id); F(pal_ct_value, rule_index);
	F(pal_ct_value, state); F(pal_ct_value, origin); F(pal_ct_value, peer_identity); F(pal_ct_value, flags);
	F(pal_ct_value, generation); struct_end();
	S(pal_generation); F(pal_generation, generation); struct_end();
	S(pal_frag_key); F(pal_frag_key, src_addr); F(pal_frag_key, dst_addr); F(pal_frag_key, frag_id);
	F(pal_frag_key, protocol); struct_end();
	S(pal_frag_value); F(pal_frag_value, expires_ns); F(pal_frag_value, src_port); F(pal_frag_value, dst_port);
	struct_end();
	S(pal_counter); F(pal_counter, packets); F(pal_counter, bytes); struct_end();
	S(pal_drop_event); F(pal_drop_event, timestamp_ns); F(pal_drop_event, endpoint_id); F(pal_drop_event, ifindex);
	F(pal_drop_event, reason); F(pal_drop_event, peer_identity); F(pal_drop_event, policy_id);
	F(pal_drop_event, rule_index); F(pal_drop_event, direction); F(pal_drop_event, family);
	F(pal_drop_event, protocol); F(pal_drop_event, kind); F(pal_drop_event, src_port); F(pal_drop_event, dst_port);
	F(pal_drop_event, src_addr); F(pal_drop_event, dst_addr); F(pal_drop_event, packet_len); struct_end();
	S(pal_config); F(pal_config, event_rate); F(pal_config, event_burst); F(pal_config, new_flow_sample); struct_end();
	S(pal_event_bucket); F(pal_event_bucket, tokens); F(pal_event_bucket, last_ns); F(pal_event_bucket, emitted);
	F(pal_event_bucket, suppressed); F(pal_event_bucket, lost); F(pal_event_bucket, new_flows); struct_end();
	printf("\n  },\n  \"constants\": {");
	int first_const = 1;
	C(PAL_PASS_POLICY); C(PAL_PASS_CONNTRACK); C(PAL_PASS_NOT_ISOLATED); C(PAL_PASS_HOST); C(PAL_PASS_ARP);
	C(PAL_PASS_NEIGHBOUR); C(PAL_PASS_RELATED); C(PAL_DROP_UNKNOWN_ENDPOINT); C(PAL_DROP_POLICY_DENIED); C(PAL_DROP_SHORT_ETHERNET);
	C(PAL_DROP_UNSUPPORTED_L2); C(PAL_DROP_MALFORMED_IPV4); C(PAL_DROP_MALFORMED_IPV6); C(PAL_DROP_MALFORMED_L4);
	C(PAL_DROP_FRAGMENT); C(PAL_DROP_IPV6_EXT_LIMIT);
	C(PAL_PASS_AUDIT); C(PAL_TIER_AUDIT_VIEW); C(PAL_EP_INGRESS_AUDIT); C(PAL_EP_EGRESS_AUDIT);
	C(PAL_EP_INGRESS_ISOLATED_ALL); C(PAL_EP_EGRESS_ISOLATED_ALL);
	C(PAL_EP_INGRESS_ADMIN); C(PAL_EP_EGRESS_ADMIN); C(PAL_EP_INGRESS_BASELINE); C(PAL_EP_EGRESS_BASELINE);
	C(PAL_PASS_ADMIN); C(PAL_PASS_BASELINE); C(PAL_DROP_ADMIN_DENIED); C(PAL_DROP_BASELINE_DENIED);
	C(PAL_TIER_ADMIN); C(PAL_TIER_BASELINE); C(PAL_VERDICT_ACCEPT); C(PAL_VERDICT_DENY); C(PAL_VERDICT_PASS);
	C(PAL_TIER_RULE_BITS); C(PAL_REASON_SLOTS); C(PAL_COUNTER_SLOTS);
	C(PAL_EP_INGRESS_ISOLATED); C(PAL_EP_EGRESS_ISOLATED);
	C(PAL_EP_PRESENT); C(PAL_EP_INDEX_MAX); C(PAL_IDENTITY_ANY); C(PAL_IDENTITY_HOST);
	C(PAL_IDENTITY_WORLD); C(PAL_IPCACHE_PREFIX_BASE); C(PAL_DIR_INGRESS); C(PAL_DIR_EGRESS);
	C(PAL_POLICY_PREFIX_ANY_PROTO); C(PAL_POLICY_PREFIX_ANY_PORT); C(PAL_POLICY_PREFIX_FULL);
	C(PAL_VERDICT_DROP); C(PAL_VERDICT_ALLOW); C(PAL_POLICY_F_AUDIT); C(PAL_CT_SYN_SENT); C(PAL_CT_ESTABLISHED);
	C(PAL_CT_FIN); C(PAL_CT_CLOSE); C(PAL_CT_OTHER); C(PAL_CT_F_FIN_ORIGIN); C(PAL_CT_F_FIN_REPLY);
	C(PAL_CT_TIMEOUT_SYN); C(PAL_CT_TIMEOUT_ESTABLISHED); C(PAL_CT_TIMEOUT_FIN); C(PAL_CT_TIMEOUT_CLOSE);
	C(PAL_CT_TIMEOUT_OTHER); C(PAL_CT_TIMEOUT_ICMP); C(PAL_EVENT_REFILL_CAP_NS); C(PAL_FRAG_TIMEOUT);
	C(PAL_EVENT_DROP); C(PAL_EVENT_NEW_FLOW); C(PAL_EVENT_POLL_MS);
	printf(",\n    \"SKB_SIZE\": %zu,\n    \"SKB_IFINDEX_OFFSET\": %zu,\n    \"SKB_CB_OFFSET\": %zu",
	       sizeof(struct __sk_buff), offsetof(struct __sk_buff, ifindex), offsetof(struct __sk_buff, cb));
	printf("\n  }\n}\n");
	return 0;
}
