/* Owns every verdict reason code of the datapath. Mirrored by bpf/lib/codecs/reasons.ts (checked
 * by bpf/lib/layout.test.ts through bpf/layout/layout.c).
 *
 * A reason is positive when the packet passes and negative when it is dropped; 0 is never used,
 * so a zeroed trace means "the program did not reach a verdict". Counters are indexed by the
 * absolute value (see counters.h), so keep every code within PAL_REASON_SLOTS. */
#ifndef PAL_REASONS_H
#define PAL_REASONS_H

/* Pass reasons. */
#define PAL_PASS_POLICY 1          /* a policy entry allowed a new flow */
#define PAL_PASS_CONNTRACK 2       /* packet of a tracked flow (either direction) */
#define PAL_PASS_NOT_ISOLATED 3    /* the endpoint is not isolated in this direction */
#define PAL_PASS_HOST 4            /* ingress from the node itself (identity host) */
#define PAL_PASS_ARP 5             /* ARP, passed deliberately */
#define PAL_PASS_NEIGHBOUR 6       /* ICMPv6 router/neighbour discovery (types 133-137) */
#define PAL_PASS_RELATED 7         /* ICMP error about a tracked flow (icmp_related.h) */
#define PAL_PASS_ADMIN 8           /* an Admin tier Accept rule (ClusterNetworkPolicy) */
#define PAL_PASS_BASELINE 9        /* a Baseline tier Accept rule (not isolated by NetworkPolicy) */
#define PAL_PASS_AUDIT 10          /* passed, but a policy in audit mode would drop it (reported) */

/* Drop reasons. */
#define PAL_DROP_UNKNOWN_ENDPOINT -1  /* no endpoint entry for the interface: never fail open */
#define PAL_DROP_POLICY_DENIED -2     /* isolated direction and no policy entry matched */
#define PAL_DROP_SHORT_ETHERNET -3    /* frame shorter than an Ethernet header */
#define PAL_DROP_UNSUPPORTED_L2 -4    /* ethertype other than IPv4, IPv6 and ARP */
#define PAL_DROP_MALFORMED_IPV4 -5    /* truncated header, bad version or header length */
#define PAL_DROP_MALFORMED_IPV6 -6    /* truncated header or extension header, bad version */
#define PAL_DROP_MALFORMED_L4 -7      /* truncated or invalid TCP/UDP/SCTP/ICMP header */
#define PAL_DROP_FRAGMENT -8          /* non-first IP fragment whose first fragment was not seen */
#define PAL_DROP_IPV6_EXT_LIMIT -9    /* more IPv6 extension headers than the parser walks */
#define PAL_DROP_ADMIN_DENIED -10     /* an Admin tier Deny rule (ClusterNetworkPolicy) */
#define PAL_DROP_BASELINE_DENIED -11  /* a Baseline tier Deny rule (not isolated by NetworkPolicy) */

#define PAL_REASON_SLOTS 16

#endif
