import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IDENTITY_HOST, IDENTITY_WORLD, type NodeState } from "../../wire/entries.ts";
import { withHostEntries } from "./host-entries.ts";

const state = (ipcache: NodeState["ipcache"]): NodeState => ({ ipcache, endpoints: [], policies: [] });

describe("host entries", () => {
  it("gives the node's own addresses identity host, keeping the longest policy prefix's identity", () => {
    const s = state([
      { prefix: "10.0.0.0/8", identity: IDENTITY_WORLD, prefixIdentity: 0x0100_0001 },
      { prefix: "10.1.0.5/32", identity: 300, prefixIdentity: 0x0100_0001 },
    ]);
    const out = withHostEntries(s, ["10.9.9.9", "fd00::1"]);
    assert.deepEqual(
      out.ipcache.filter((e) => e.identity === IDENTITY_HOST),
      [
        { prefix: "10.9.9.9/32", identity: IDENTITY_HOST, prefixIdentity: 0x0100_0001 },
        { prefix: "fd00::1/128", identity: IDENTITY_HOST, prefixIdentity: 0 },
      ],
    );
    assert.equal(out.ipcache.length, 4);
  });

  it("gives the same state when applied twice, and leaves a state without host addresses as it is", () => {
    const base = state([{ prefix: "192.0.2.0/24", identity: IDENTITY_WORLD, prefixIdentity: 7 }]);
    const once = withHostEntries(base, ["192.0.2.1"]);
    assert.deepEqual(withHostEntries(once, ["192.0.2.1"]), once);
    assert.deepEqual(once.ipcache.at(-1), {
      prefix: "192.0.2.1/32",
      identity: IDENTITY_HOST,
      prefixIdentity: 7,
    });
    const plain = state([{ prefix: "10.0.0.0/8", identity: IDENTITY_WORLD, prefixIdentity: 5 }]);
    assert.equal(withHostEntries(plain, []), plain);
  });
});
