import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DestinationPolicy, parseAllowNetworks } from "./destination.ts";
import { nextAttemptAt, RETRY_DELAYS_MS } from "./schedule.ts";

describe("destination policy", () => {
  const cases: [string, string[], boolean | string][] = [
    ["93.184.216.34", [], true],
    ["2606:2800:220:1:248:1893:25c8:1946", [], true],
    ["169.254.169.254", [], "metadata"],
    ["169.254.169.254", ["169.254.0.0/16"], "metadata"],
    ["fd00:ec2::254", ["fd00::/8"], "metadata"],
    ["::ffff:169.254.169.254", [], "metadata"],
    ["169.254.1.1", [], "link_local"],
    ["169.254.1.1", ["169.254.0.0/16"], true],
    ["fe80::1", [], "link_local"],
    ["127.0.0.1", [], "non_public"],
    ["127.0.0.1", ["127.0.0.0/8"], true],
    ["::1", ["127.0.0.0/8"], "non_public"],
    ["10.2.3.4", [], "non_public"],
    ["10.2.3.4", ["10.2.0.0/16"], true],
    ["172.20.0.1", [], "non_public"],
    ["192.168.0.10", [], "non_public"],
    ["0.0.0.0", [], "non_public"],
    ["fc00::1", [], "non_public"],
  ];
  for (const [address, allow, want] of cases) {
    it(`${address} with allowed networks [${allow.join(", ")}] is ${want === true ? "allowed" : `refused as ${want}`}`, () => {
      const verdict = new DestinationPolicy(allow).check(address);
      assert.deepEqual(verdict.allowed ? true : verdict.reason, want);
    });
  }

  it("parses PALISADE_WEBHOOK_ALLOW_NETWORKS and names a bad entry", () => {
    assert.deepEqual(parseAllowNetworks(" 10.0.0.0/8, fd00::/8 ,"), ["10.0.0.0/8", "fd00::/8"]);
    assert.deepEqual(parseAllowNetworks(undefined), []);
    assert.throws(() => parseAllowNetworks("10.0.0.0/33"), /got "10\.0\.0\.0\/33"/);
  });
});

describe("retry schedule", () => {
  it("spans about three days over ten attempts and ends with null", () => {
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    assert.ok(total > 2.9 * 86_400_000 && total < 3.1 * 86_400_000);
    assert.equal(nextAttemptAt(RETRY_DELAYS_MS.length + 1, 0, Math.random), null);
  });

  it("keeps jitter within 20% either side", () => {
    assert.equal(
      nextAttemptAt(1, 0, () => 0),
      4000,
    );
    assert.equal(
      nextAttemptAt(1, 0, () => 0.5),
      5000,
    );
    assert.ok(nextAttemptAt(1, 0, () => 0.9999)! <= 6000);
  });
});
