// Issue 10 section 5: an IPv4 address carried inside an IPv6 one (IPv4-compatible, mapped,
// translated, NAT64, 6to4, Teredo) is judged by the IPv4 address's rules, at subscription time and
// at connect time; 192.88.99.0/24 is refused; metadata addresses are refused in every form.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkedLookup,
  DestinationPolicy,
  DestinationRefused,
} from "../../api/webhooks/outbound/destination.ts";
import { webhookTestApp } from "../../api/webhooks/testing.ts";

type Want = true | "metadata" | "link_local" | "non_public" | "tunnelled_link_local";

const cases: [address: string, allow: string[], want: Want][] = [
  // The exact destinations the issue found accepted.
  ["::127.0.0.1", [], "non_public"],
  ["::ffff:0:7f00:1", [], "non_public"],
  ["2002:a9fe:a9fe::", [], "metadata"],
  ["2001:0:a9fe:a9fe::", [], "metadata"],
  ["64:ff9b:1::7f00:1", [], "non_public"],
  ["192.88.99.1", [], "non_public"],
  ["64:ff9b::a9fe:a9fe", ["::/0"], "metadata"],
  // IPv4-compatible (::a.b.c.d); :: and ::1 stay IPv6's own unspecified and loopback addresses.
  ["::a9fe:a9fe", ["::/0", "0.0.0.0/0"], "metadata"],
  ["::10.1.2.3", [], "non_public"],
  ["::", [], "non_public"],
  ["::1", ["127.0.0.0/8"], "non_public"],
  // IPv4-mapped: the very same IPv4 address.
  ["::ffff:127.0.0.1", [], "non_public"],
  ["::ffff:127.0.0.1", ["::/0"], "non_public"],
  ["::ffff:127.0.0.1", ["127.0.0.0/8"], true],
  ["::ffff:169.254.1.1", ["169.254.0.0/16"], true],
  ["::ffff:93.184.216.34", [], true],
  // IPv4-translated (::ffff:0:a.b.c.d).
  ["::ffff:0:a9fe:a9fe", ["0.0.0.0/0", "::/0"], "metadata"],
  ["::ffff:0:5db8:d822", [], true],
  // NAT64, well-known prefix: judged by the IPv4 address, an IPv6 allow entry does not open it.
  ["64:ff9b::7f00:1", ["::/0"], "non_public"],
  ["64:ff9b::a00:1", [], "non_public"],
  ["64:ff9b::a00:1", ["10.0.0.0/8"], true],
  ["64:ff9b::5db8:d822", [], true],
  ["64:ff9b::6464:64c8", ["100.64.0.0/10", "::/0"], "metadata"],
  ["64:ff9b::a9fe:101", ["169.254.0.0/16", "::/0"], "tunnelled_link_local"],
  // NAT64, local-use prefix (RFC 8215): every RFC 6052 position its prefix length may use.
  ["64:ff9b:1::5db8:d822", [], true],
  ["64:ff9b:1:0:7f:0:100:0", [], "non_public"],
  ["64:ff9b:1:a9fe:a9:fe00::", ["::/0"], "metadata"],
  // 6to4 (2002:a.b.c.d::/48) and its relay anycast 192.88.99.0/24.
  ["2002:a9fe:aa02::1", ["::/0"], "metadata"],
  ["2002:a00:1::1", [], "non_public"],
  ["2002:a9fe:101::", ["169.254.0.0/16"], "tunnelled_link_local"],
  ["2002:5db8:d822::1", [], true],
  ["192.88.99.1", ["192.88.99.0/24"], true],
  // Teredo: server in bits 32-63, client in the last 32 bits inverted; both must be allowed.
  ["2001:0:5db8:d822::f5ff:fffe", [], "non_public"],
  ["2001:0:5db8:d822::5601:5601", ["0.0.0.0/0", "::/0"], "metadata"],
  ["2001:0:a00:1::a247:27dc", [], "non_public"],
  ["2001:0:5db8:d822::a247:27dc", [], true],
  // A scoped address is judged by its bytes.
  ["fe80::1%eth0", [], "link_local"],
  ["64:ff9b::a9fe:a9fe%eth0", ["::/0"], "metadata"],
  // The IPv6 metadata address in other spellings.
  ["FD00:EC2:0:0:0:0:0:254", ["::/0"], "metadata"],
  ["fd00:ec2::254", ["fd00::/8"], "metadata"],
  // An IPv6 allowed network opens IPv6 addresses only (node's BlockList alone would let ::/0 cover
  // every IPv4 address); an IPv4-mapped allowed network opens the IPv4 network it maps.
  ["127.0.0.1", ["::/0"], "non_public"],
  ["10.1.2.3", ["::ffff:10.0.0.0/104"], true],
  ["::ffff:10.1.2.3", ["::ffff:10.0.0.0/104"], true],
  ["64:ff9b::a01:203", ["::ffff:10.0.0.0/104"], true],
  // Unchanged: plain public, link-local and private addresses.
  ["2606:2800:220:1:248:1893:25c8:1946", [], true],
  ["169.254.1.1", ["169.254.0.0/16"], true],
  ["169.254.169.254", ["0.0.0.0/0"], "metadata"],
];

describe("destinations: IPv4 inside IPv6", () => {
  for (const [address, allow, want] of cases) {
    it(`${address} with allowed networks [${allow.join(", ")}] is ${want === true ? "allowed" : `refused as ${want}`}`, () => {
      const verdict = new DestinationPolicy(allow).check(address);
      assert.deepEqual(verdict.allowed ? true : verdict.reason, want);
    });
  }

  it("names the carried IPv4 address and the form in the refusal", () => {
    const verdict = new DestinationPolicy([]).check("2002:a9fe:a9fe::");
    assert.equal(verdict.allowed, false);
    if (verdict.allowed) return;
    const message = new DestinationRefused("hooks.example", verdict).message;
    assert.match(message, /hooks\.example resolves to 2002:a9fe:a9fe::/);
    assert.match(message, /169\.254\.169\.254 \(6to4\)/);
    assert.match(message, /never allowed/);
  });

  it("refuses each of the issue's destinations at subscription time (422)", async () => {
    const t = webhookTestApp({ allowNetworks: [] });
    for (const host of [
      "[::127.0.0.1]",
      "[::ffff:0:7f00:1]",
      "[2002:a9fe:a9fe::]",
      "[2001:0:a9fe:a9fe::]",
      "[64:ff9b:1::7f00:1]",
      "192.88.99.1",
    ]) {
      const res = await t.call("POST", "/v1/webhooks", { url: `http://${host}/hook`, events: ["*"] });
      assert.equal(res.status, 422, host);
      assert.equal(res.body.error.code, "webhook.destination_refused", host);
    }
    const open = webhookTestApp({ allowNetworks: ["::/0"] });
    const res = await open.call("POST", "/v1/webhooks", {
      url: "http://[64:ff9b::a9fe:a9fe]/",
      events: ["*"],
    });
    assert.deepEqual([res.status, res.body.error?.code], [422, "webhook.destination_refused"]);
  });

  it("refuses at connect time: a name that resolves to the metadata address behind NAT64", async () => {
    const policy = new DestinationPolicy(["::/0"]);
    const lookup = checkedLookup(policy, async () => ["64:ff9b::a9fe:a9fe"]);
    const err = await new Promise<Error | null>((resolve) =>
      lookup("hooks.example", { family: 0 }, (e) => resolve(e)),
    );
    assert.ok(err instanceof DestinationRefused, String(err));
    assert.match(err.message, /169\.254\.169\.254 \(NAT64\)/);
  });
});
