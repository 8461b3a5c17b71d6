/* Owns the drop-event ring buffer, its per-CPU token bucket and the datapath config map.
 * Mirrored by bpf/lib/codecs/events.ts. */
#ifndef PAL_EVENTS_H
#define PAL_EVENTS_H

#include <linux/types.h>

/* ring buffer record, 80 bytes:
 *   0 timestamp_ns   8 endpoint_id   12 ifindex   16 reason (negative)   20 peer_identity
 *  24 policy_id   28 rule_index   30 direction   31 family   32 protocol   33 pad
 *  34 src_port   36 dst_port (host order)   38 pad2   40 src_addr[16]   56 dst_addr[16]
 *  72 packet_len   76 pad3 */
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
	__u8 pad;
	__u16 src_port;
	__u16 dst_port;
	__u16 pad2;
	__u8 src_addr[16];
	__u8 dst_addr[16];
	__u32 packet_len;
	__u32 pad3;
};

/* config (array, one entry), 8 bytes: 0 event_rate (events per second per CPU; 0 disables
 * events), 4 event_burst (bucket size in events). Written by userspace at load. */
struct pal_config {
	__u32 event_rate;
	__u32 event_burst;
};

/* token bucket (per-CPU array, one entry), 40 bytes. tokens are in units of 1e-9 event.
 *   0 tokens   8 last_ns   16 emitted   24 suppressed (rate limit)   32 lost (ring full) */
struct pal_event_bucket {
	__u64 tokens;
	__u64 last_ns;
	__u64 emitted;
	__u64 suppressed;
	__u64 lost;
};

#define PAL_EVENT_REFILL_CAP_NS 10000000000ULL /* at most 10 s of refill at once */

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
} pal_config_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pal_event_bucket);
} pal_event_bucket_v1 SEC(".maps");

/* Takes one token from this CPU's bucket; false when the event must be suppressed. */
static __always_inline int pal_event_take_token(__u64 now)
{
	__u32 zero = 0;
	struct pal_config *cfg = bpf_map_lookup_elem(&pal_config_v1, &zero);
	struct pal_event_bucket *b = bpf_map_lookup_elem(&pal_event_bucket_v1, &zero);
	if (!cfg || !b || cfg->event_rate == 0)
		return 0;
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
	return 1;
}

static __always_inline void pal_event_lost(void)
{
	__u32 zero = 0;
	struct pal_event_bucket *b = bpf_map_lookup_elem(&pal_event_bucket_v1, &zero);
	if (b)
		b->lost += 1;
}

static __always_inline void pal_event_emitted(void)
{
	__u32 zero = 0;
	struct pal_event_bucket *b = bpf_map_lookup_elem(&pal_event_bucket_v1, &zero);
	if (b)
		b->emitted += 1;
}
#endif

#endif
