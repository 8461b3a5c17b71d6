// Test helpers for the agent's CNI side: a request as the plugin sends it, over the real socket,
// and a prevResult as Debian's bridge plugin writes it.
import { connect } from "node:net";
import { type CniAnswer, type CniRequest, decodeCniAnswer, encodeCniRequest } from "../../wire/cni-socket.ts";

/** Sends one request the way the C plugin does and reads the answer. */
export function callSocket(path: string, req: CniRequest): Promise<CniAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(path, () => s.end(encodeCniRequest(req)));
    s.on("data", (c) => chunks.push(c));
    s.on("end", () => {
      try {
        resolve(decodeCniAnswer(Buffer.concat(chunks)));
      } catch (e) {
        reject(e);
      }
    });
    s.on("error", reject);
  });
}

/** The prevResult of bridge + host-local for one pod: bridge, host veth, pod eth0 and its address. */
export function bridgeResult(o: { bridge: string; hostVeth: string; ip: string; netns: string }) {
  return {
    cniVersion: "1.0.0",
    interfaces: [
      { name: o.bridge, mac: "aa:00:00:00:00:01" },
      { name: o.hostVeth, mac: "aa:00:00:00:00:02" },
      { name: "eth0", mac: "aa:00:00:00:00:03", sandbox: o.netns },
    ],
    ips: [{ address: `${o.ip}/24`, interface: 2, gateway: "198.18.0.1" }],
    routes: [],
    dns: {},
  };
}

export interface AddRequest {
  command?: string;
  containerId: string;
  netns?: string;
  args?: string;
  prevResult?: unknown;
  socket?: string;
  namespace?: string;
}

/** A request for the chained palisade plugin of network `net`. */
export function cniRequest(o: AddRequest): CniRequest {
  const config: Record<string, unknown> = { cniVersion: "1.0.0", name: "net", type: "palisade" };
  if (o.socket) config.agentSocket = o.socket;
  if (o.namespace) config.namespace = o.namespace;
  if (o.prevResult) config.prevResult = o.prevResult;
  return {
    env: {
      CNI_COMMAND: o.command ?? "ADD",
      CNI_CONTAINERID: o.containerId,
      ...(o.netns !== undefined ? { CNI_NETNS: o.netns } : {}),
      CNI_IFNAME: "eth0",
      CNI_PATH: "/usr/lib/cni",
      ...(o.args ? { CNI_ARGS: o.args } : {}),
    },
    stdin: JSON.stringify(config),
  };
}
