// Checks every TS mirror against the C headers (the owners), through bpf/layout/layout.c built by
// `npm install`: a changed struct, offset or constant in bpf/include fails here.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { IDENTITY_ANY, IDENTITY_HOST, IDENTITY_WORLD } from "../../wire/entries.ts";
import {
  CT_FLAG,
  CT_KEY_LAYOUT,
  CT_STATE,
  CT_TIMEOUT,
  CT_VALUE_LAYOUT,
  GENERATION_LAYOUT,
} from "./codecs/conntrack.ts";
import { COUNTER_LAYOUT, COUNTER_SLOTS } from "./codecs/counters.ts";
import {
  ENDPOINT_LAYOUT,
  EP_EGRESS_ADMIN,
  EP_EGRESS_AUDIT,
  EP_EGRESS_BASELINE,
  EP_EGRESS_ISOLATED,
  EP_EGRESS_ISOLATED_ALL,
  EP_INDEX_MAX,
  EP_INGRESS_ADMIN,
  EP_INGRESS_AUDIT,
  EP_INGRESS_BASELINE,
  EP_INGRESS_ISOLATED,
  EP_INGRESS_ISOLATED_ALL,
  EP_PRESENT,
} from "./codecs/endpoints.ts";
import { CONFIG_LAYOUT, DROP_EVENT_LAYOUT, EVENT_BUCKET_LAYOUT, EVENT_KIND } from "./codecs/events.ts";
import { FRAG_KEY_LAYOUT, FRAG_TIMEOUT, FRAG_VALUE_LAYOUT } from "./codecs/fragments.ts";
import { IPCACHE_KEY_LAYOUT, IPCACHE_PREFIX_BASE, IPCACHE_VALUE_LAYOUT } from "./codecs/ipcache.ts";
import type { StructLayout } from "./codecs/layout.ts";
import {
  DIR_EGRESS,
  DIR_INGRESS,
  POLICY_F_AUDIT,
  POLICY_KEY_LAYOUT,
  POLICY_PREFIX_ANY_PORT,
  POLICY_PREFIX_ANY_PROTO,
  POLICY_PREFIX_FULL,
  POLICY_VALUE_LAYOUT,
  TIER_ADMIN,
  TIER_AUDIT_VIEW,
  TIER_BASELINE,
  TIER_RULE_BITS,
  VERDICT_ACCEPT,
  VERDICT_ALLOW,
  VERDICT_DENY,
  VERDICT_DROP,
  VERDICT_PASS,
} from "./codecs/policy.ts";
import { REASON_SLOTS, REASONS } from "./codecs/reasons.ts";
import { SKB_CB_OFFSET, SKB_IFINDEX_OFFSET, SKB_SIZE } from "./codecs/skb.ts";
import { BUILD_DIR } from "./native.ts";
import { EVENT_POLL_MS } from "./stats.ts";

interface CLayout {
  structs: Record<string, { size: number; fields: Record<string, [number, number]> }>;
  constants: Record<string, number>;
}

const c = JSON.parse(execFileSync(join(BUILD_DIR, "layout"), { encoding: "utf8" })) as CLayout;

const layouts: StructLayout[] = [
  ENDPOINT_LAYOUT,
  IPCACHE_KEY_LAYOUT,
  IPCACHE_VALUE_LAYOUT,
  POLICY_KEY_LAYOUT,
  POLICY_VALUE_LAYOUT,
  CT_KEY_LAYOUT,
  CT_VALUE_LAYOUT,
  GENERATION_LAYOUT,
  FRAG_KEY_LAYOUT,
  FRAG_VALUE_LAYOUT,
  COUNTER_LAYOUT,
  DROP_EVENT_LAYOUT,
  CONFIG_LAYOUT,
  EVENT_BUCKET_LAYOUT,
];

describe("the TypeScript codecs mirror the C layouts", () => {
  for (const l of layouts) {
    it(`struct ${l.struct} has the size and field offsets the codec assumes`, () => {
      const actual = c.structs[l.struct];
      assert.ok(actual, `layout.c does not print struct ${l.struct}`);
      assert.equal(l.size, actual.size, `sizeof(struct ${l.struct})`);
      assert.deepEqual(
        Object.fromEntries(Object.entries(l.fields).map(([k, v]) => [k, [...v]])),
        actual.fields,
      );
    });
  }

  it("every struct the layout printer knows has a TypeScript codec", () => {
    assert.deepEqual(Object.keys(c.structs).sort(), layouts.map((l) => l.struct).sort());
  });

  it("every reason code matches reasons.h, and reasons.h has no code the mirror lacks", () => {
    const cReasons = Object.entries(c.constants).filter(([k]) => /^PAL_(PASS|DROP)_/.test(k));
    assert.deepEqual(Object.fromEntries(cReasons.map(([k, v]) => [k.slice(4), v])), { ...REASONS });
    assert.equal(c.constants.PAL_REASON_SLOTS, REASON_SLOTS);
    for (const code of Object.values(REASONS)) assert.ok(Math.abs(code) < REASON_SLOTS);
  });

  it("shared constants (identities, prefixes, directions, flags, conntrack) match the headers", () => {
    const expected: Record<string, number> = {
      PAL_COUNTER_SLOTS: COUNTER_SLOTS,
      PAL_EP_INGRESS_ISOLATED: EP_INGRESS_ISOLATED,
      PAL_EP_EGRESS_ISOLATED: EP_EGRESS_ISOLATED,
      PAL_EP_PRESENT: EP_PRESENT,
      PAL_EP_INDEX_MAX: EP_INDEX_MAX,
      PAL_IDENTITY_ANY: IDENTITY_ANY,
      PAL_IDENTITY_HOST: IDENTITY_HOST,
      PAL_IDENTITY_WORLD: IDENTITY_WORLD,
      PAL_IPCACHE_PREFIX_BASE: IPCACHE_PREFIX_BASE,
      PAL_DIR_INGRESS: DIR_INGRESS,
      PAL_DIR_EGRESS: DIR_EGRESS,
      PAL_POLICY_PREFIX_ANY_PROTO: POLICY_PREFIX_ANY_PROTO,
      PAL_POLICY_PREFIX_ANY_PORT: POLICY_PREFIX_ANY_PORT,
      PAL_POLICY_PREFIX_FULL: POLICY_PREFIX_FULL,
      PAL_VERDICT_DROP: VERDICT_DROP,
      PAL_VERDICT_ALLOW: VERDICT_ALLOW,
      PAL_VERDICT_ACCEPT: VERDICT_ACCEPT,
      PAL_VERDICT_DENY: VERDICT_DENY,
      PAL_VERDICT_PASS: VERDICT_PASS,
      PAL_POLICY_F_AUDIT: POLICY_F_AUDIT,
      PAL_TIER_ADMIN: TIER_ADMIN,
      PAL_TIER_BASELINE: TIER_BASELINE,
      PAL_TIER_RULE_BITS: TIER_RULE_BITS,
      PAL_TIER_AUDIT_VIEW: TIER_AUDIT_VIEW,
      PAL_EP_INGRESS_AUDIT: EP_INGRESS_AUDIT,
      PAL_EP_EGRESS_AUDIT: EP_EGRESS_AUDIT,
      PAL_EP_INGRESS_ISOLATED_ALL: EP_INGRESS_ISOLATED_ALL,
      PAL_EP_EGRESS_ISOLATED_ALL: EP_EGRESS_ISOLATED_ALL,
      PAL_EP_INGRESS_ADMIN: EP_INGRESS_ADMIN,
      PAL_EP_EGRESS_ADMIN: EP_EGRESS_ADMIN,
      PAL_EP_INGRESS_BASELINE: EP_INGRESS_BASELINE,
      PAL_EP_EGRESS_BASELINE: EP_EGRESS_BASELINE,
      PAL_CT_SYN_SENT: CT_STATE.SYN_SENT,
      PAL_CT_ESTABLISHED: CT_STATE.ESTABLISHED,
      PAL_CT_FIN: CT_STATE.FIN,
      PAL_CT_CLOSE: CT_STATE.CLOSE,
      PAL_CT_OTHER: CT_STATE.OTHER,
      PAL_CT_F_FIN_ORIGIN: CT_FLAG.FIN_ORIGIN,
      PAL_CT_F_FIN_REPLY: CT_FLAG.FIN_REPLY,
      PAL_CT_TIMEOUT_SYN: CT_TIMEOUT.SYN,
      PAL_CT_TIMEOUT_ESTABLISHED: CT_TIMEOUT.ESTABLISHED,
      PAL_CT_TIMEOUT_FIN: CT_TIMEOUT.FIN,
      PAL_CT_TIMEOUT_CLOSE: CT_TIMEOUT.CLOSE,
      PAL_CT_TIMEOUT_OTHER: CT_TIMEOUT.OTHER,
      PAL_CT_TIMEOUT_ICMP: CT_TIMEOUT.ICMP,
      PAL_FRAG_TIMEOUT: FRAG_TIMEOUT,
      PAL_EVENT_DROP: EVENT_KIND.DROP,
      PAL_EVENT_NEW_FLOW: EVENT_KIND.NEW_FLOW,
      PAL_EVENT_POLL_MS: EVENT_POLL_MS,
      SKB_SIZE,
      SKB_IFINDEX_OFFSET,
      SKB_CB_OFFSET,
    };
    for (const [name, value] of Object.entries(expected)) assert.equal(c.constants[name], value, name);
  });
});
