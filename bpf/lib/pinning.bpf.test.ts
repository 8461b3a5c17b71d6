// Pinned maps and links: an agent restart reuses live maps, and attachments outlive the process.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { encodeCtKey, encodeCtValue } from "./codecs/conntrack.ts";
import { EP_PRESENT, encodeEndpoint, encodeEndpointKey } from "./codecs/endpoints.ts";
import { loadCollection } from "./collection.ts";
import { readConntrack } from "./conntrack-gc.ts";
import { BpfDatapath, MAPS } from "./datapath.ts";
import {
  applyEndpoints,
  applyIpcache,
  readEndpoints,
  readIpcache,
  readPolicyGeneration,
} from "./datapath-maps.ts";
import { isBpfError } from "./errors.ts";
import { kernelTestSkipReason, tcxSkipReason } from "./features.ts";
import { Link } from "./link.ts";
import { native, POLICY_OBJECT, PREVIOUS_LAYOUT_OBJECT } from "./native.ts";
import { loadCollectionSpec, withMaxEntries } from "./spec.ts";
import { tempPinDir, tempVeth } from "./testing/kernel.ts";
import { EP } from "./verdict-fixtures.ts";

const skip = kernelTestSkipReason();
const child = fileURLToPath(new URL("./testing/pin-child.ts", import.meta.url));
const small = { ipcache: 1024, policies: 1024, conntrack: 1024 };

describe("pinning", { skip }, () => {
  let pins: ReturnType<typeof tempPinDir>;
  before(() => {
    pins = tempPinDir();
  });
  after(() => pins?.remove());

  it("a spec is read without loading anything, and max_entries overrides apply at load", async () => {
    const spec = loadCollectionSpec(POLICY_OBJECT);
    assert.deepEqual(Object.keys(spec.programs).sort(), ["from_pod", "to_pod"]);
    assert.ok(spec.maps[MAPS.ipcache]);
    const c = await loadCollection(withMaxEntries(spec, { [MAPS.ipcache]: 512 }));
    try {
      assert.equal(c.map(MAPS.ipcache).maxEntries, 512);
    } finally {
      c.close();
    }
    assert.throws(() => withMaxEntries(spec, { nope: 1 }), /does not declare/);
  });

  it("maps pinned by one load are reused with their contents by the next", async () => {
    const dir = join(pins.dir, "reuse");
    const first = await BpfDatapath.load({ pinDir: dir, sizes: small });
    await applyIpcache(first.collection, {
      upsert: [{ prefix: "10.5.0.0/16", identity: 900, prefixIdentity: 0 }],
    });
    first.close();
    assert.ok(existsSync(join(dir, "maps", MAPS.ipcache)));
    const second = await BpfDatapath.load({ pinDir: dir, sizes: small });
    try {
      assert.deepEqual(await readIpcache(second.collection), [
        { prefix: "10.5.0.0/16", identity: 900, prefixIdentity: 0 },
      ]);
    } finally {
      second.close();
    }
  });

  it("a later load keeps the sizes of the maps an earlier one pinned, whatever it asks for", async () => {
    const dir = join(pins.dir, "sizes");
    const first = await BpfDatapath.load({ pinDir: dir, sizes: small });
    first.close();
    const second = await BpfDatapath.load({ pinDir: dir, sizes: { ipcache: 2048, conntrack: 8192 } });
    try {
      assert.equal(second.collection.map(MAPS.ipcache).maxEntries, small.ipcache);
      assert.equal(second.collection.map(MAPS.conntrack).maxEntries, small.conntrack);
    } finally {
      second.close();
    }
  });

  it("a legacy attachment made by an earlier process is detached by a later one that never attached it", async () => {
    const veth = tempVeth();
    const dir = join(pins.dir, "legacy-detach");
    try {
      execFileSync(process.execPath, ["--import", "tsx", child, dir, veth.name, "legacy"], {
        encoding: "utf8",
      });
      assert.ok(native().tcQuery(veth.ifindex, true, 1, 1) > 0);
      const dp = await BpfDatapath.load({ pinDir: dir, sizes: small });
      try {
        assert.deepEqual(dp.pinnedInterfaces(), [veth.ifindex]);
        dp.detach(veth.ifindex);
        assert.deepEqual(
          [native().tcQuery(veth.ifindex, true, 1, 1), native().tcQuery(veth.ifindex, false, 1, 1)],
          [0, 0],
        );
        assert.deepEqual(dp.pinnedInterfaces(), []);
      } finally {
        dp.close();
      }
    } finally {
      veth.remove();
    }
  });

  it("endpoints and flows pinned by the previous layout are carried over at load", async () => {
    const dir = join(pins.dir, "upgrade");
    mkdirSync(join(dir, "maps"), { recursive: true });
    // The previous layout: every endpoint in the hash (no PRESENT flag), 24-byte conntrack values.
    const previous = await loadCollection(loadCollectionSpec(PREVIOUS_LAYOUT_OBJECT), {
      pinDir: join(dir, "maps"),
    });
    const old = encodeEndpoint(EP.A({ ingress: true }));
    old.writeUInt32LE(old.readUInt32LE(20) & ~EP_PRESENT, 20);
    previous.map(MAPS.endpoints).update(encodeEndpointKey(7), old);
    const key = encodeCtKey({
      endpointId: 11,
      family: 4,
      protocol: 6,
      localAddr: new Uint8Array(16).fill(1),
      remoteAddr: new Uint8Array(16).fill(2),
      localPort: 40000,
      remotePort: 80,
    });
    const flow = {
      expiresNs: 1n << 62n,
      policyId: 42,
      ruleIndex: 3,
      state: 2,
      origin: 1,
      peerIdentity: 1002,
      flags: 0,
    };
    previous.map("pal_conntrack_v1").update(key, encodeCtValue({ ...flow, generation: 0 }).subarray(0, 24));
    previous.close();
    const dp = await BpfDatapath.load({ pinDir: dir, sizes: small });
    try {
      assert.deepEqual(await readEndpoints(dp.collection), [{ ifindex: 7, entry: EP.A({ ingress: true }) }]);
      assert.deepEqual(
        (await readConntrack(dp.collection)).map((e) => e.value),
        [{ ...flow, generation: 0 }],
      );
      assert.ok(readPolicyGeneration(dp.collection) > 0, "carried flows are judged again");
      assert.equal(existsSync(join(dir, "maps", "pal_conntrack_v1")), false);
      await applyEndpoints(dp.collection, { remove: [7] });
      assert.deepEqual([...dp.collection.map(MAPS.endpoints).keys()], [], "the stale hash copy went too");
    } finally {
      dp.close();
    }
  });

  it("loading with a pin directory outside bpffs fails with ERR_BPF_INVALID", async () => {
    await assert.rejects(BpfDatapath.load({ pinDir: "/tmp/palisade-not-bpffs", sizes: small }), (e) =>
      isBpfError(e, "ERR_BPF_INVALID"),
    );
  });

  for (const mode of ["tcx", "legacy"] as const) {
    it(`a ${mode} attachment and the pinned maps survive the process that created them`, {
      skip: mode === "tcx" ? tcxSkipReason() : skip,
    }, async () => {
      const veth = tempVeth();
      const dir = join(pins.dir, `survive-${mode}`);
      try {
        const out = execFileSync(process.execPath, ["--import", "tsx", child, dir, veth.name, mode], {
          encoding: "utf8",
        });
        assert.match(out, /attached/);
        const dp = await BpfDatapath.load({ pinDir: dir, sizes: small });
        try {
          assert.deepEqual(await readIpcache(dp.collection), [
            { prefix: "10.77.0.0/16", identity: 4242, prefixIdentity: 0 },
          ]);
          const progs = [dp.collection.program("from_pod").id, dp.collection.program("to_pod").id];
          if (mode === "tcx") {
            const link = Link.openPinned(join(dir, "links", `${veth.ifindex}-from_pod`));
            assert.equal(link.ifindex, veth.ifindex);
            assert.ok(link.programId() > 0);
            link.close();
            // Taking over the pinned links switches them to this process's programs.
            const a = dp.attach(veth.name);
            assert.deepEqual([a.fromPod.programId(), a.toPod.programId()], progs);
          } else {
            assert.ok(native().tcQuery(veth.ifindex, true, 1, 1) > 0);
            // Found again from its pinned marker, as a tcx link is, and taken over in place.
            assert.deepEqual(dp.pinnedInterfaces(), [veth.ifindex]);
            const a = dp.attach(veth.name);
            assert.deepEqual([a.fromPod.kind, a.toPod.kind], ["legacy", "legacy"]);
            assert.deepEqual([a.fromPod.programId(), a.toPod.programId()], progs);
          }
          dp.detach(veth.name);
          assert.equal(native().tcQuery(veth.ifindex, false, 1, 1), 0);
          assert.deepEqual(dp.pinnedInterfaces(), []);
          assert.equal(native().tcQuery(veth.ifindex, true, 1, 1), 0);
          assert.equal(existsSync(join(dir, "links", `${veth.ifindex}-from_pod`)), false);
        } finally {
          dp.close();
        }
      } finally {
        veth.remove();
      }
    });
  }

  it("an unpinned tcx link ends with close(), leaving the interface without the program", {
    skip: tcxSkipReason(),
  }, async () => {
    const veth = tempVeth();
    const dp = await BpfDatapath.load({ sizes: small });
    try {
      const a = dp.attach(veth.ifindex, { mode: "tcx" });
      assert.equal(a.fromPod.kind, "tcx");
      assert.deepEqual(native().tcxQuery(veth.ifindex, true), [dp.collection.program("from_pod").id]);
      assert.deepEqual(native().tcxQuery(veth.ifindex, false), [dp.collection.program("to_pod").id]);
      dp.close();
      assert.deepEqual(native().tcxQuery(veth.ifindex, true), []);
      assert.deepEqual(native().tcxQuery(veth.ifindex, false), []);
    } finally {
      dp.close();
      veth.remove();
    }
  });
});
