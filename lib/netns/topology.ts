// Owns the network-namespace topology of docs/architecture.md section 6, for kernel tests, the e2e
// harness and `palisade demo`: a bridge holding the gateway of a free /24 of 198.18.0.0/15, and
// pods = network namespaces with one veth (host end on the bridge, only the connected route, no
// default route) that run the pod server and a prober. Test traffic never leaves these devices.
// Every name starts with the caller's prefix; teardown removes everything, also after a failure.
import { fileURLToPath } from "node:url";
import { Children } from "./children.ts";
import { ip, ipQuiet } from "./ip.ts";
import { ifname } from "./names.ts";
import { Prober } from "./prober.ts";
import { freeSubnet } from "./subnet.ts";

export const POD_SERVER = fileURLToPath(new URL("./pod-server.mjs", import.meta.url));

export interface Pod {
  name: string;
  /** `<prefix>-<name>`. */
  netns: string;
  /** Host-side veth on the bridge: where the programs attach, the endpoint's `interface`. */
  hostIf: string;
  ip: string;
  /** Probes sent from inside this pod. */
  prober: Prober;
}

export interface TopologyOptions {
  /** Starts every name (names.ts runPrefix, or the demo's prefix); at most 12 characters. */
  prefix: string;
  /** One pod per name, in order (addresses .11, .12, ...). */
  pods: string[];
  /** Ports the pod server listens on in every pod (none: no pod server). */
  serve: { tcp?: number[]; udp?: number[] };
  /** Also run a prober in this host's namespace (traffic from the node; source: the gateway). */
  hostProber?: boolean;
  /**
   * Registers the teardown before anything is created, e.g. with a cleanup stack that also runs
   * on signals and exit; returns the function that runs it once. Default: run it once.
   */
  track?: (label: string, teardown: () => void) => () => void;
}

export interface Topology {
  prefix: string;
  bridge: string;
  /** The pods' /24, e.g. 198.18.7.0/24. */
  subnet: string;
  /** The bridge's address: traffic from the host to a pod comes from it. */
  gateway: string;
  pods: Pod[];
  hostProber: Prober | undefined;
  pod(name: string): Pod;
  /** Kills the processes and deletes the namespaces, veths and bridge; safe to call twice. */
  teardown(): void;
}

function once(_label: string, run: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    run();
  };
}

export async function createTopology(opts: TopologyOptions): Promise<Topology> {
  const { prefix } = opts;
  const subnet = freeSubnet();
  const bridge = ifname(`${prefix}br`);
  const children = new Children();
  const pods: Pod[] = [];
  const created: { netns: string; hostIf: string }[] = [];
  const teardown = (opts.track ?? once)(`topology ${prefix}`, () => {
    children.killAll();
    for (const p of created) {
      ipQuiet(["netns", "del", p.netns]);
      ipQuiet(["link", "del", p.hostIf]);
    }
    ipQuiet(["link", "del", bridge]);
  });
  const topo: Topology = {
    prefix,
    bridge,
    subnet: subnet.cidr,
    gateway: subnet.gateway,
    pods,
    hostProber: undefined,
    pod(name) {
      const p = pods.find((q) => q.name === name);
      if (!p) throw new Error(`no pod ${name} in topology ${prefix}`);
      return p;
    },
    teardown,
  };
  try {
    ip(["link", "add", bridge, "type", "bridge"]);
    ip(["addr", "add", `${subnet.gateway}/24`, "dev", bridge]);
    ip(["link", "set", bridge, "up"]);
    const netnses = opts.pods.map((name, i) =>
      addPod(prefix, name, i, subnet.podAddress(i), bridge, created),
    );
    const listen = [
      ...(opts.serve.tcp ?? []).map((p) => `tcp:${p}`),
      ...(opts.serve.udp ?? []).map((p) => `udp:${p}`),
    ];
    const startPod = async ({ name, netns, hostIf, address }: (typeof netnses)[number]) => {
      const [, probe] = await Promise.all([
        listen.length > 0 && children.start(netns, POD_SERVER, listen, `the pod server in ${netns}`),
        children.start(netns, Prober.script, [], `the prober in ${netns}`),
      ]);
      return { name, netns, hostIf, ip: address, prober: new Prober(probe) };
    };
    const [host, started] = await Promise.all([
      opts.hostProber ? children.start(undefined, Prober.script, [], "the host prober") : undefined,
      Promise.all(netnses.map(startPod)),
    ]);
    topo.hostProber = host && new Prober(host);
    pods.push(...started);
  } catch (e) {
    teardown();
    throw e;
  }
  return topo;
}

/** One namespace with eth0 on the subnet (connected route only) and its peer on the bridge. */
function addPod(
  prefix: string,
  name: string,
  index: number,
  address: string,
  bridge: string,
  created: { netns: string; hostIf: string }[],
) {
  const netns = `${prefix}-${name}`;
  const hostIf = ifname(`${prefix}${index}h`);
  const peer = ifname(`${prefix}${index}p`);
  ip(["netns", "add", netns]);
  created.push({ netns, hostIf });
  ip(["link", "add", hostIf, "type", "veth", "peer", "name", peer]);
  ip(["link", "set", peer, "netns", netns]);
  ip(["-n", netns, "link", "set", peer, "name", "eth0"]);
  ip(["-n", netns, "addr", "add", `${address}/24`, "dev", "eth0"]);
  ip(["-n", netns, "link", "set", "eth0", "up"]);
  ip(["-n", netns, "link", "set", "lo", "up"]);
  ip(["link", "set", hostIf, "master", bridge]);
  ip(["link", "set", hostIf, "up"]);
  return { name, netns, hostIf, address };
}
