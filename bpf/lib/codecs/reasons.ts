// Mirrors bpf/include/reasons.h (the owner): verdict reason codes. Checked by layout.test.ts.

/** Positive = pass, negative = drop; names are the C names without the PAL_ prefix. */
export const REASONS = {
  PASS_POLICY: 1,
  PASS_CONNTRACK: 2,
  PASS_NOT_ISOLATED: 3,
  PASS_HOST: 4,
  PASS_ARP: 5,
  PASS_NEIGHBOUR: 6,
  PASS_RELATED: 7,
  PASS_ADMIN: 8,
  PASS_BASELINE: 9,
  PASS_AUDIT: 10,
  DROP_UNKNOWN_ENDPOINT: -1,
  DROP_POLICY_DENIED: -2,
  DROP_SHORT_ETHERNET: -3,
  DROP_UNSUPPORTED_L2: -4,
  DROP_MALFORMED_IPV4: -5,
  DROP_MALFORMED_IPV6: -6,
  DROP_MALFORMED_L4: -7,
  DROP_FRAGMENT: -8,
  DROP_IPV6_EXT_LIMIT: -9,
  DROP_ADMIN_DENIED: -10,
  DROP_BASELINE_DENIED: -11,
} as const;

export type ReasonName = keyof typeof REASONS;
export const REASON_SLOTS = 16;

const byCode = new Map<number, ReasonName>(
  Object.entries(REASONS).map(([name, code]) => [code, name as ReasonName]),
);

/** The name of a reason code ("DROP_POLICY_DENIED"), or `UNKNOWN_<code>`. */
export function reasonName(code: number): string {
  return byCode.get(code) ?? `UNKNOWN_${code}`;
}

export function isPass(code: number): boolean {
  return code > 0;
}
