// Owns the section-7 test topology: a bridge holding the gateway of a test /24 from 198.18.0.0/15
// (RFC 2544 benchmarking: only ever on this bridge), and pods = network namespaces with one veth
// (host side on the bridge, no default route) that serve TCP and UDP echo on the given ports and
// run one prober each. Every name carries the run prefix; teardown removes everything.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { onCleanup, runPrefix, sh } from "./cleanup.ts";
import { Prober } from "./prober.ts";

const serverScript = fileURLToPath(new URL("./pod-server.mjs", import.meta.url));

export interface PodSpec {
  namespace: string;
  name: string;
}

export interface TopoPod extends PodSpec {
  /** `namespace/name`. */
  key: string;
  netns: string;
  /** Host-side veth on the bridge: the endpoint's `interface`. */
  hostIf: string;
  ip: string;
  prober: Prober;
}

export interface Topology {
  prefix: string;
  bridge: string;
  subnet: string;
  gateway: string;
  pods: TopoPod[];
  /** A prober in the root namespace: traffic from the node itself (source: the gateway). */
  hostProber: Prober;
  pod(key: string): TopoPod;
  teardown(): void;
}

/**
 * A /24 in 198.18.0.0/15 that no route on this host uses yet. The first pick follows the pid, so
 * suites running side by side (one process per test file) start from different subnets.
 */
function freeSubnet(): string {
  const routes = sh("ip", ["-4", "route", "show", "table", "all"]);
  for (let i = 0; i < 100; i++) {
    const n = 1 + ((i === 0 ? process.pid : Math.floor(Math.random() * 1e9)) % 511);
    const net = `198.${18 + (n >> 8)}.${n & 255}.`;
    if ((n & 255) !== 0 && !routes.includes(net)) return net;
  }
  throw new Error("no free /24 in 198.18.0.0/15 for the test bridge");
}

function startChild(netns: string, args: string[]): ChildProcess {
  return spawn("ip", ["netns", "exec", netns, process.execPath, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
}

async function waitReady(child: ChildProcess, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) {
        child.stdout!.off("data", onData);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code} before it was ready`)));
  });
}

/** Builds the topology; `ports` are served on TCP and UDP in every pod. */
export async function createTopology(
  specs: PodSpec[],
  ports: number[],
  opts: { prefix?: string } = {},
): Promise<Topology> {
  const prefix = opts.prefix ?? runPrefix();
  const net = freeSubnet();
  const bridge = `${prefix}br`;
  const children: ChildProcess[] = [];
  const pods: TopoPod[] = [];
  const teardown = onCleanup(`topology ${prefix}`, () => {
    for (const c of children) c.kill("SIGKILL");
    for (const p of pods) {
      spawnSync("ip", ["netns", "del", p.netns]);
      spawnSync("ip", ["link", "del", p.hostIf]);
    }
    spawnSync("ip", ["link", "del", bridge]);
  });
  const topo: Topology = {
    prefix,
    bridge,
    subnet: `${net}0/24`,
    gateway: `${net}1`,
    pods,
    hostProber: undefined!,
    pod(key) {
      const p = pods.find((q) => q.key === key);
      if (!p) throw new Error(`no pod ${key} in the topology`);
      return p;
    },
    teardown,
  };
  try {
    sh("ip", ["link", "add", bridge, "type", "bridge"]);
    sh("ip", ["addr", "add", `${topo.gateway}/24`, "dev", bridge]);
    sh("ip", ["link", "set", bridge, "up"]);
    specs.forEach((spec, i) => {
      const netns = `${prefix}-${spec.namespace}-${spec.name}`;
      const hostIf = `${prefix}${spec.namespace.slice(0, 2)}${spec.name.slice(0, 2)}`;
      if (pods.some((p) => p.hostIf === hostIf)) throw new Error(`two pods would share ifname ${hostIf}`);
      const peer = `${hostIf}p`;
      const ip = `${net}${11 + i}`;
      pods.push({ ...spec, key: `${spec.namespace}/${spec.name}`, netns, hostIf, ip, prober: undefined! });
      sh("ip", ["netns", "add", netns]);
      sh("ip", ["link", "add", hostIf, "type", "veth", "peer", "name", peer]);
      sh("ip", ["link", "set", peer, "netns", netns]);
      sh("ip", ["-n", netns, "link", "set", peer, "name", "eth0"]);
      sh("ip", ["-n", netns, "addr", "add", `${ip}/24`, "dev", "eth0"]);
      sh("ip", ["-n", netns, "link", "set", "eth0", "up"]);
      sh("ip", ["-n", netns, "link", "set", "lo", "up"]);
      sh("ip", ["link", "set", hostIf, "master", bridge]);
      sh("ip", ["link", "set", hostIf, "up"]);
    });
    const hostProbe = spawn(process.execPath, [Prober.script], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(hostProbe);
    await waitReady(hostProbe, "the host prober");
    topo.hostProber = new Prober(hostProbe);
    await Promise.all(
      pods.map(async (pod) => {
        const server = startChild(pod.netns, [serverScript, ...ports.map(String)]);
        children.push(server);
        const probe = startChild(pod.netns, [Prober.script]);
        children.push(probe);
        await Promise.all([
          waitReady(server, `server in ${pod.netns}`),
          waitReady(probe, `prober in ${pod.netns}`),
        ]);
        pod.prober = new Prober(probe);
      }),
    );
  } catch (e) {
    teardown();
    throw e;
  }
  return topo;
}
