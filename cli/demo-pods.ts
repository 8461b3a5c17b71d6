// Owns the demo's pods (ARCHITECTURE section 7): a bridge holding the gateway of a /24 from
// 198.18.0.0/15 (benchmarking addresses, only ever on this bridge), and pods = network namespaces
// with one veth and no default route, each serving TCP. Every name starts with the demo's prefix;
// remove() deletes them all and is safe to call twice.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

const podScript = fileURLToPath(new URL("./demo-pod.mjs", import.meta.url));

export interface DemoPod {
  name: string;
  netns: string;
  hostIf: string;
  ip: string;
}

export interface DemoPods {
  prefix: string;
  bridge: string;
  pods: DemoPod[];
  /** One TCP connect from inside `from` to `to`:port; true when the server answered. */
  connect(from: DemoPod, to: DemoPod, port: number, timeoutMs: number): Promise<boolean>;
  remove(): void;
}

function ip(args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${(r.stderr ?? "").trim()}`);
}

function freeSubnet(): string {
  const routes = spawnSync("ip", ["-4", "route", "show", "table", "all"], { encoding: "utf8" }).stdout ?? "";
  for (let i = 0; i < 100; i++) {
    const n = 1 + Math.floor(Math.random() * 510);
    const net = `198.${18 + (n >> 8)}.${n & 255}.`;
    if ((n & 255) !== 0 && !routes.includes(net)) return net;
  }
  throw new Error("no free /24 in 198.18.0.0/15 for the demo bridge");
}

/** A short random prefix: `pdm` and 4 characters (interface names stay under 15). */
export function demoPrefix(): string {
  return `pdm${randomBytes(3).readUIntBE(0, 3).toString(36).slice(0, 4).padStart(4, "0")}`;
}

export async function createDemoPods(prefix: string, names: string[], port: number): Promise<DemoPods> {
  const net = freeSubnet();
  const bridge = `${prefix}br`;
  const pods: DemoPod[] = [];
  const servers: ChildProcess[] = [];
  let removed = false;
  const set: DemoPods = {
    prefix,
    bridge,
    pods,
    async connect(from, to, p, timeoutMs) {
      const child = spawn(
        "ip",
        [
          "netns",
          "exec",
          from.netns,
          process.execPath,
          podScript,
          "probe",
          to.ip,
          String(p),
          String(timeoutMs),
        ],
        { stdio: ["ignore", "pipe", "ignore"] },
      );
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      await new Promise((resolve) => child.once("exit", resolve));
      return out.trim() === "ok";
    },
    remove() {
      if (removed) return;
      removed = true;
      for (const s of servers) s.kill("SIGKILL");
      for (const p of pods) {
        spawnSync("ip", ["netns", "del", p.netns]);
        spawnSync("ip", ["link", "del", p.hostIf]);
      }
      spawnSync("ip", ["link", "del", bridge]);
    },
  };
  try {
    ip(["link", "add", bridge, "type", "bridge"]);
    ip(["addr", "add", `${net}1/24`, "dev", bridge]);
    ip(["link", "set", bridge, "up"]);
    for (const [i, name] of names.entries()) {
      const pod = { name, netns: `${prefix}-${name}`, hostIf: `${prefix}${i}h`, ip: `${net}${11 + i}` };
      pods.push(pod);
      ip(["netns", "add", pod.netns]);
      ip(["link", "add", pod.hostIf, "type", "veth", "peer", "name", `${prefix}${i}p`]);
      ip(["link", "set", `${prefix}${i}p`, "netns", pod.netns]);
      ip(["-n", pod.netns, "link", "set", `${prefix}${i}p`, "name", "eth0"]);
      ip(["-n", pod.netns, "addr", "add", `${pod.ip}/24`, "dev", "eth0"]);
      ip(["-n", pod.netns, "link", "set", "eth0", "up"]);
      ip(["-n", pod.netns, "link", "set", "lo", "up"]);
      ip(["link", "set", pod.hostIf, "master", bridge]);
      ip(["link", "set", pod.hostIf, "up"]);
      const server = spawn(
        "ip",
        ["netns", "exec", pod.netns, process.execPath, podScript, "serve", String(port)],
        {
          stdio: ["ignore", "pipe", "ignore"],
        },
      );
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
        server.once("exit", (code) =>
          reject(new Error(`the demo server in ${pod.netns} exited with ${code}`)),
        );
      });
    }
  } catch (e) {
    set.remove();
    throw e;
  }
  return set;
}
