/* Owns the counters map: packets and bytes per (hook direction, verdict, reason). Mirrored by
 * bpf/lib/codecs/counters.ts. */
#ifndef PAL_COUNTERS_H
#define PAL_COUNTERS_H

#include <linux/types.h>
#include "reasons.h"

/* index = ((direction * 2) + verdict) * PAL_REASON_SLOTS + |reason|,
 * direction PAL_DIR_*, verdict 0 = drop, 1 = pass. */
#define PAL_COUNTER_SLOTS (2 * 2 * PAL_REASON_SLOTS)

/* value (per CPU), 16 bytes: 0 packets, 8 bytes */
struct pal_counter {
	__u64 packets;
	__u64 bytes;
};

#ifdef __bpf__
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PAL_COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, struct pal_counter);
} pal_counters_v1 SEC(".maps");

static __always_inline void pal_count(__u8 dir, int reason, __u32 len)
{
	__u32 verdict = reason > 0 ? 1 : 0;
	__u32 slot = reason > 0 ? reason : -reason;
	if (slot >= PAL_REASON_SLOTS)
		slot = 0;
	__u32 index = ((__u32)(dir & 1) * 2 + verdict) * PAL_REASON_SLOTS + slot;
	struct pal_counter *c = bpf_map_lookup_elem(&pal_counters_v1, &index);
	if (c) {
		c->packets += 1;
		c->bytes += len;
	}
}
#endif

#endif
