// Owns a routed hop with a smaller MTU behind a topology's bridge, for path-MTU tests: a router
// namespace with one leg on the bridge (an address of the pods' /24) and one leg to a server
// namespace on its own free /24 of 198.18.0.0/15, whose router end has `mtu` bytes. The router forwards only between
// its two legs (forwarding is enabled in its own namespace, never on the host), and sends the
// ICMP "fragmentation needed" errors path-MTU discovery depends on. Pods reach the server only
// through a route the caller adds for that /24 (never a default route).
import { Children } from "./children.ts";
import { ip, ipQuiet } from "./ip.ts";
import { ifname } from "./names.ts";
import { freeSubnet } from "./subnet.ts";
import { POD_SERVER, type Topology } from "./topology.ts";

export interface RoutedHop {
  /** The router's address on the bridge: the next hop towards `serverSubnet`. */
  routerIp: string;
  serverSubnet: string;
  serverIp: string;
  /** Routes `netns`'s traffic to the server's /24 through the router. */
  routeVia(netns: string): void;
  teardown(): void;
}

export interface RoutedHopOptions {
  /** The bridge's topology; the hop's names start with its prefix. */
  topo: Topology;
  /** MTU of the router -> server link (the small hop). */
  mtu: number;
  /** Served on TCP and UDP by the server namespace (pod-server.mjs). */
  serve: { tcp?: number[]; udp?: number[] };
  track?: (label: string, teardown: () => void) => () => void;
}

export async function addRoutedHop({ topo, mtu, serve, track }: RoutedHopOptions): Promise<RoutedHop> {
  const p = topo.prefix;
  const router = `${p}-rt`;
  const server = `${p}-sv`;
  const onBridge = ifname(`${p}rb`);
  const far = freeSubnet();
  const routerIp = topo.gateway.replace(/\.1$/, ".250");
  const routerFar = far.gateway;
  const serverIp = far.podAddress(0);
  const children = new Children();
  const teardown = (track ?? ((_l: string, run: () => void) => run))(`routed hop ${p}`, () => {
    children.killAll();
    ipQuiet(["netns", "del", server]);
    ipQuiet(["netns", "del", router]);
    ipQuiet(["link", "del", onBridge]);
  });
  try {
    ip(["netns", "add", router]);
    ip(["netns", "add", server]);
    ip(["link", "add", onBridge, "type", "veth", "peer", "name", `${p}rp`]);
    ip(["link", "set", `${p}rp`, "netns", router]);
    ip(["-n", router, "link", "set", `${p}rp`, "name", "eth0"]);
    ip(["-n", router, "addr", "add", `${routerIp}/24`, "dev", "eth0"]);
    ip(["link", "set", onBridge, "master", topo.bridge]);
    ip(["link", "set", onBridge, "up"]);
    ip(["-n", router, "link", "add", "eth1", "mtu", String(mtu), "type", "veth", "peer", "name", "sv0"]);
    ip(["-n", router, "link", "set", "sv0", "netns", server]);
    ip(["-n", server, "link", "set", "sv0", "name", "eth0"]);
    ip(["-n", router, "addr", "add", `${routerFar}/24`, "dev", "eth1"]);
    ip(["-n", server, "addr", "add", `${serverIp}/24`, "dev", "eth0"]);
    for (const dev of ["eth0", "eth1", "lo"]) ip(["-n", router, "link", "set", dev, "up"]);
    for (const dev of ["eth0", "lo"]) ip(["-n", server, "link", "set", dev, "up"]);
    // The server's interface keeps 1500 bytes, so it advertises a full MSS and the pods' packets
    // meet the small link only at the router (which answers "fragmentation needed"); its own
    // packets towards the pods stay within the small link by this route's locked MTU.
    ip([
      "-n",
      server,
      "route",
      "add",
      topo.subnet,
      "via",
      routerFar,
      "mtu",
      "lock",
      String(mtu),
      "advmss",
      "1460",
    ]);
    ip(["netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    const listen = [...(serve.tcp ?? []).map((n) => `tcp:${n}`), ...(serve.udp ?? []).map((n) => `udp:${n}`)];
    if (listen.length > 0) await children.start(server, POD_SERVER, listen, `the pod server in ${server}`);
  } catch (e) {
    teardown();
    throw e;
  }
  return {
    routerIp,
    serverSubnet: far.cidr,
    serverIp,
    routeVia: (netns) => ip(["-n", netns, "route", "add", far.cidr, "via", routerIp]),
    teardown,
  };
}
