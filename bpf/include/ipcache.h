/* Owns the ipcache map: longest-prefix match from an address to its identity. Mirrored by
 * bpf/lib/codecs/ipcache.ts. */
#ifndef PAL_IPCACHE_H
#define PAL_IPCACHE_H

#include <linux/types.h>

#define PAL_IDENTITY_ANY 0
#define PAL_IDENTITY_HOST 1
#define PAL_IDENTITY_WORLD 2

/* key, 24 bytes. prefixlen counts data bits from `family`: family and pad (32 bits) are always
 * matched, so prefixlen = 32 + the CIDR length. family is 4 or 6; IPv4 addresses use addr[0..3]
 * with the rest zero.
 *   0 prefixlen   4 family   5 pad[3]   8 addr[16] */
struct pal_ipcache_key {
	__u32 prefixlen;
	__u8 family;
	__u8 pad[3];
	__u8 addr[16];
};

#define PAL_IPCACHE_PREFIX_BASE 32

/* value, 8 bytes: 0 identity, 4 prefix_identity (0 when no policy prefix covers the address). */
struct pal_ipcache_value {
	__u32 identity;
	__u32 prefix_identity;
};

#ifdef __bpf__
#ifndef PAL_IPCACHE_MAX
#define PAL_IPCACHE_MAX 131072
#endif
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PAL_IPCACHE_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pal_ipcache_key);
	__type(value, struct pal_ipcache_value);
} pal_ipcache_v1 SEC(".maps");
#endif

#endif
