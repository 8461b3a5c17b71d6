// Owns the real-traffic test topology of ARCHITECTURE section 7: a bridge holding the test
// subnet's gateway, and "pods" (network namespaces with one veth, no default route) whose host
// ends are on the bridge. Every name carries a per-run prefix; teardown removes everything.
// Addresses come from 198.18.0.0/15 (RFC 2544 benchmarking) and only ever sit on these devices.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runPrefix, sh } from "./kernel.ts";

const serverScript = fileURLToPath(new URL("./echo-server.mjs", import.meta.url));
const clientScript = fileURLToPath(new URL("./probe-client.mjs", import.meta.url));

export interface Pod {
  name: string;
  netns: string;
  /** Host-side veth (where the programs attach). */
  hostIf: string;
  ip: string;
}

export interface Topology {
  prefix: string;
  bridge: string;
  gateway: string;
  pods: Pod[];
  /** TCP connect (expects the server's greeting) or UDP echo from one pod to an address. */
  probe(from: Pod, proto: "tcp" | "udp", ip: string, port: number, timeoutMs?: number): Promise<boolean>;
  serve(pod: Pod, udpPort: number, tcpPorts: number[]): Promise<void>;
  teardown(): void;
}

/** A /24 under 198.18.0.0/15 with no route on this host yet. */
function freeSubnet(): string {
  const routes = sh("ip", ["-4", "route", "show", "table", "all"]);
  for (let i = 0; i < 50; i++) {
    const third = 1 + Math.floor(Math.random() * 250);
    const net = `198.18.${third}.`;
    if (!routes.includes(net)) return net;
  }
  throw new Error("no free /24 in 198.18.0.0/16 for the test bridge");
}

export function createTopology(podCount: number): Topology {
  const prefix = runPrefix();
  const net = freeSubnet();
  const bridge = `${prefix}br`;
  const servers: ChildProcess[] = [];
  const pods: Pod[] = [];
  const t: Topology = {
    prefix,
    bridge,
    gateway: `${net}1`,
    pods,
    async serve(pod, udpPort, tcpPorts) {
      const child = spawn(
        "ip",
        [
          "netns",
          "exec",
          pod.netns,
          process.execPath,
          serverScript,
          String(udpPort),
          ...tcpPorts.map(String),
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      servers.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
        child.on("exit", (code) => reject(new Error(`server in ${pod.netns} exited with ${code}`)));
      });
    },
    async probe(from, proto, ip, port, timeoutMs = 1500) {
      const child = spawn("ip", [
        "netns",
        "exec",
        from.netns,
        process.execPath,
        clientScript,
        proto,
        ip,
        String(port),
        String(timeoutMs),
      ]);
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      await new Promise((resolve) => child.on("exit", resolve));
      return out.trim() === "ok";
    },
    teardown() {
      for (const s of servers) s.kill("SIGKILL");
      for (const p of pods) {
        spawnSync("ip", ["netns", "del", p.netns]);
        spawnSync("ip", ["link", "del", p.hostIf]);
      }
      spawnSync("ip", ["link", "del", bridge]);
    },
  };
  try {
    sh("ip", ["link", "add", bridge, "type", "bridge"]);
    sh("ip", ["addr", "add", `${t.gateway}/24`, "dev", bridge]);
    sh("ip", ["link", "set", bridge, "up"]);
    for (let i = 0; i < podCount; i++) {
      const name = String.fromCharCode(97 + i);
      const pod: Pod = {
        name,
        netns: `${prefix}${name}`,
        hostIf: `${prefix}${name}h`,
        ip: `${net}${11 + i}`,
      };
      pods.push(pod);
      sh("ip", ["netns", "add", pod.netns]);
      sh("ip", ["link", "add", pod.hostIf, "type", "veth", "peer", "name", `${prefix}${name}p`]);
      sh("ip", ["link", "set", `${prefix}${name}p`, "netns", pod.netns]);
      sh("ip", ["-n", pod.netns, "link", "set", `${prefix}${name}p`, "name", "eth0"]);
      sh("ip", ["-n", pod.netns, "addr", "add", `${pod.ip}/24`, "dev", "eth0"]);
      sh("ip", ["-n", pod.netns, "link", "set", "eth0", "up"]);
      sh("ip", ["-n", pod.netns, "link", "set", "lo", "up"]);
      sh("ip", ["link", "set", pod.hostIf, "master", bridge]);
      sh("ip", ["link", "set", pod.hostIf, "up"]);
    }
  } catch (e) {
    t.teardown();
    throw e;
  }
  return t;
}
