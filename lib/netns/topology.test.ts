// The shared namespace topology (lib/netns/topology.ts) keeps the network safety rule: pods reach
// each other only over the test bridge, have no default route, the subnet lives on the bridge
// alone, and teardown (also after a failed setup) leaves no namespace or link behind.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { runPrefix } from "./names.ts";
import { createTopology, type Topology } from "./topology.ts";

const skip =
  typeof process.getuid === "function" && process.getuid() !== 0 ? "network namespaces need root" : undefined;

const run = (args: string[]) => spawnSync("ip", args, { encoding: "utf8" }).stdout ?? "";

/** Namespaces and links whose names start with `prefix`. */
function leftovers(prefix: string): string[] {
  return [...run(["netns", "list"]).split("\n"), ...run(["-br", "link"]).split("\n")].filter((l) =>
    l.startsWith(prefix),
  );
}

describe("network-namespace topology", { skip }, () => {
  let topo: Topology;

  before(async () => {
    topo = await createTopology({
      prefix: runPrefix("n"),
      pods: ["a", "b"],
      serve: { tcp: [8080], udp: [5353] },
      hostProber: true,
    });
  });
  after(() => topo?.teardown());

  it("pods reach each other over TCP and UDP, and the host reaches them from the gateway", async () => {
    const [a, b] = [topo.pod("a"), topo.pod("b")];
    assert.deepEqual(await a.prober.probe("tcp", b.ip, 8080), { ok: true, why: "" });
    assert.deepEqual(await b.prober.probe("udp", a.ip, 5353), { ok: true, why: "" });
    assert.equal((await topo.hostProber!.probe("tcp", a.ip, 8080)).ok, true);
  });

  it("pods have only the connected route, and the subnet sits on the bridge alone", () => {
    for (const pod of topo.pods) {
      const routes = run(["-n", pod.netns, "-4", "route", "show", "table", "all"]);
      assert.doesNotMatch(routes, /default/, pod.netns);
      assert.match(routes, new RegExp(`^${topo.subnet.replace(/\./g, "\\.")} dev eth0`, "m"));
    }
    const hostRoutes = run(["-4", "route", "show", topo.subnet]).trim().split("\n");
    assert.deepEqual(
      hostRoutes.map((l) => l.split(" ")[2]),
      [topo.bridge],
    );
  });

  it("teardown removes every namespace and link, and may run twice", () => {
    const { prefix } = topo;
    assert.notDeepEqual(leftovers(prefix), []);
    topo.teardown();
    topo.teardown();
    assert.deepEqual(leftovers(prefix), []);
  });

  it("a setup that fails part way removes what it created", async () => {
    const prefix = runPrefix("n");
    // A port the pod server cannot bind makes it exit before it is ready.
    await assert.rejects(
      createTopology({ prefix, pods: ["a"], serve: { tcp: [70000] } }),
      /pod server in .* exited/,
    );
    assert.deepEqual(leftovers(prefix), []);
  });
});
