// SPDX-License-Identifier: GPL-2.0
/* Test object only: the maps whose layout changed with issue 14, as the previous layout declared
 * them (pal_endpoints_v1 held every endpoint; pal_conntrack_v1 had 24-byte values), so that
 * bpf/lib/pinning.bpf.test.ts can pin them as an older agent did and check what a load carries
 * over (bpf/lib/migrate.ts). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8[24]);
} pal_endpoints_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u8[44]);
	__type(value, __u8[24]);
} pal_conntrack_v1 SEC(".maps");

/* libbpf creates every map of the object, used by a program or not. */
SEC("tc")
int previous_layout(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
