// The harness's pure parts (no root needed): the conflist keeps the network safety rule, the
// containerd config keeps everything under the run's directories, netns parsing of CRI info.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { containerdConfig } from "./containerd-config.ts";
import { netnsFromInfo } from "./cri.ts";
import { conflist } from "./network.ts";

describe("CNI harness configuration", () => {
  it("the conflist gives pods no default route, no masquerade, and appends the chained plugin", () => {
    const c = conflist({
      name: "pc1",
      bridge: "pc1br",
      subnet: "198.18.7.0/24",
      ipamDir: "/tmp/x/ipam",
      plugins: [{ type: "palisade" }],
    }) as { cniVersion: string; plugins: Record<string, unknown>[] };
    assert.equal(c.cniVersion, "1.0.0");
    assert.deepEqual(
      c.plugins.map((p) => p.type),
      ["bridge", "palisade"],
    );
    const bridge = c.plugins[0]!;
    assert.equal(bridge.isGateway, true);
    assert.equal(bridge.ipMasq, false);
    assert.deepEqual(bridge.ipam, {
      type: "host-local",
      ranges: [[{ subnet: "198.18.7.0/24" }]],
      routes: [],
      dataDir: "/tmp/x/ipam",
    });
  });

  it("the containerd config points CRI at our CNI dirs and image and keeps state in our dirs", () => {
    const toml = containerdConfig({
      root: "/r/root",
      state: "/r/state",
      socket: "/r/state/c.sock",
      ttrpcSocket: "/r/state/t.sock",
      runcRoot: "/r/runc",
      cniBinDir: "/r/bin",
      cniConfDir: "/r/net.d",
      sandboxImage: "localhost/palisade-test:1",
    });
    for (const line of [
      'root = "/r/root"',
      'state = "/r/state"',
      'address = "/r/state/c.sock"',
      'address = "/r/state/t.sock"',
      "restrict_oom_score_adj = true",
      'sandbox_image = "localhost/palisade-test:1"',
      "netns_mounts_under_state_dir = true",
      'bin_dir = "/r/bin"',
      'conf_dir = "/r/net.d"',
      "max_conf_num = 1",
      'Root = "/r/runc"',
    ])
      assert.ok(toml.includes(line), `config has ${line}`);
  });

  it("the netns path and pid come from containerd's verbose sandbox info", () => {
    const info = {
      info: JSON.stringify({
        pid: 42,
        runtimeSpec: {
          linux: {
            namespaces: [{ type: "pid" }, { type: "network", path: "/r/state/netns/cni-1" }],
          },
        },
      }),
    };
    assert.deepEqual(netnsFromInfo(info), { netns: "/r/state/netns/cni-1", pid: 42 });
    assert.deepEqual(netnsFromInfo({}), { netns: "", pid: 0 });
  });
});
