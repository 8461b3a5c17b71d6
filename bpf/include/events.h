/* Owns the flow-event ring buffer (drops and new connections), its per-CPU token bucket and the
 * datapath config map. Mirrored by bpf/lib/codecs/events.ts. */
#ifndef PAL_EVENTS_H
#define PAL_EVENTS_H

#include <linux/types.h>

/* What a ring buffer record reports: a dropped packet, or the packet that created a conntrack
 * entry (a new connection: its reason is a positive pass reason). Established traffic emits
 * nothing. */
#define PAL_EVENT_DROP 0
#define PAL_EVENT_NEW_FLOW 1

/* ring buffer record, 80 bytes (the same layout for both kinds):
 *   0 timestamp_ns   8 endpoint_id   12 ifindex   16 reason (negative for a drop)
 *  20 peer_identity   24 policy_id   28 rule_index   30 direction   31 family   32 protocol
 *  33 kind (PAL_EVENT_*)   34 src_port   36 dst_port (host order)   38 pad2   40 src_addr[16]
 *  56 dst_addr[16]   72 packet_len   76 pad3 */
struct pal_drop_event {
	__u64 timestamp_ns;
	__u32 endpoint_id;
	__u32 ifindex;
	__s32 reason;
	__u32 peer_identity;
	__u32 policy_id;
	__u16 rule_index;
	__u8 direction;
	__u8 family;
	__u8 protocol;
	__u8 kind;
	__u16 src_port;
	__u16 dst_port;
	__u16 pad2;
	__u8 src_addr[16];
	__u8 dst_addr[16];
	__u32 packet_len;
	__u32 pad3;
};

/* config (array, one entry), 16 bytes: 0 event_rate (events per second per CPU, drops and new
 * connections together; 0 disables events), 4 event_burst (bucket size in events),
 * 8 new_flow_sample (report one new connection in N per CPU; 0 reports none, 1 every one),
 * 12 pad. Written by userspace at load. (v2: v1 was 8 bytes, without new_flow_sample.) */
struct pal_config {
	__u32 event_rate;
	__u32 event_burst;
	__u32 new_flow_sample;
	__u32 pad;
};

/* token bucket (per-CPU array, one entry), 48 bytes. tokens are in units of 1e-9 event.
 *   0 tokens   8 last_ns   16 emitted   24 suppressed (rate limit)   32 lost (ring full)
 *  40 new_flows (new connections seen, for 1-in-N sampling). (v2: v1 was 40 bytes.) */
struct pal_event_bucket {
	__u64 tokens;
	__u64 last_ns;
	__u64 emitted;
	__u64 suppressed;
	__u64 lost;
	__u64 new_flows;
};

#define PAL_EVENT_REFILL_CAP_NS 10000000000ULL /* at most 10 s of refill at once */
/* New-connection records wake no reader: readers also poll the ring this often (ms). */
#define PAL_EVENT_POLL_MS 100
/* ...unless this many bytes wait (a quarter of the default ring). */
#define PAL_EVENT_WAKE_BYTES (64 * 1024)

#ifdef __bpf__
#ifndef PAL_EVENTS_BYTES
#define PAL_EVENTS_BYTES (256 * 1024)
#endif
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PAL_EVENTS_BYTES);
} pal_events_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pal_config);
} pal_config_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pal_event_bucket);
} pal_event_bucket_v2 SEC(".maps");

/* Takes one token from this CPU's bucket: the bucket, or NULL when the event must be suppressed
 * (the caller counts what happens to the event on the bucket it got). A new connection is first
 * sampled (1 in new_flow_sample, counted per CPU): one not sampled costs no token and is not
 * counted as suppressed. */
static __always_inline struct pal_event_bucket *pal_event_take_token(__u64 now, int new_flow)
{
	__u32 zero = 0;
	struct pal_config *cfg = bpf_map_lookup_elem(&pal_config_v2, &zero);
	struct pal_event_bucket *b = bpf_map_lookup_elem(&pal_event_bucket_v2, &zero);
	if (!cfg || !b || cfg->event_rate == 0)
		return 0;
	if (new_flow) {
		__u32 n = cfg->new_flow_sample;
		if (n == 0)
			return 0;
		__u64 seen = b->new_flows;
		b->new_flows = seen + 1;
		if (n > 1 && seen % n != 0)
			return 0;
	}
	__u64 cap = (__u64)cfg->event_burst * 1000000000ULL;
	__u64 elapsed = now - b->last_ns;
	if (elapsed > PAL_EVENT_REFILL_CAP_NS)
		elapsed = PAL_EVENT_REFILL_CAP_NS;
	__u64 tokens = b->tokens + elapsed * cfg->event_rate;
	if (tokens > cap)
		tokens = cap;
	b->last_ns = now;
	if (tokens < 1000000000ULL) {
		b->tokens = tokens;
		b->suppressed += 1;
		return 0;
	}
	b->tokens = tokens - 1000000000ULL;
	return b;
}
#endif

#endif
