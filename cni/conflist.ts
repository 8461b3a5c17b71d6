// Owns the network configuration list that `palisade cni install` writes (bridge + host-local,
// then the palisade plugin), the mark that says we wrote it, and the rules for its parameters.
// Pure: no file system here (cni/install.ts does the I/O).
import { formatPrefix, parseCidr } from "../wire/cidr.ts";
import { DEFAULT_CNI_SOCKET } from "../wire/cni-socket.ts";
import { DNS1123_LABEL } from "../wire/names.ts";

/** Top-level key marking a conflist as ours; runtimes ignore unknown top-level keys. */
export const INSTALLED_BY_KEY = "palisade.dev/installed-by";
export const INSTALLED_BY_VALUE = "palisade cni install";

/**
 * The file name's prefix. containerd's CRI plugin uses the first conflist of its conf dir in
 * lexical order, so a low number puts this network ahead of a distribution's default one.
 */
export const CONFLIST_PRIORITY = "10";

export interface NetworkOptions {
  /** CNI network name; podman's `--network NAME` and the conflist's file name use it. */
  network: string;
  /** host-local's range; the bridge gets its first address as gateway. */
  subnet: string;
  bridge: string;
  /** Palisade namespace for containers that carry no `palisade.dev/namespace` label. */
  namespace: string;
  agentSocket: string;
}

export const NETWORK_DEFAULTS: NetworkOptions = {
  network: "palisade",
  // Clear of podman's and containerd's 10.88.0.0/16, podman's 10.89.N.0/24 networks, cri-o's
  // 10.85.0.0/16, flannel's 10.244.0.0/16, k3s' 10.42-43.0.0/16 and weave's 10.32.0.0/12.
  subnet: "10.222.0.0/24",
  bridge: "palisade0",
  namespace: "default",
  agentSocket: DEFAULT_CNI_SOCKET,
};

/** CNI spec: a network name starts with a letter or digit, then letters, digits, '_', '.', '-'. */
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** A Linux interface name: 1-15 bytes (IFNAMSIZ - 1), here restricted to the safe characters. */
const INTERFACE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;
const NAMESPACE_NAME = new RegExp(`^${DNS1123_LABEL}$`);
const SUN_PATH_MAX = 107;

/** Checks each option and returns the problems, one message per offending flag (empty: valid). */
export function checkNetworkOptions(options: NetworkOptions): { flag: string; message: string }[] {
  const problems: { flag: string; message: string }[] = [];
  const bad = (flag: string, rule: string, value: string) =>
    problems.push({ flag, message: `--${flag} ${rule}; got ${JSON.stringify(value)}` });
  if (!NETWORK_NAME.test(options.network) || options.network.length > 100) {
    bad(
      "network",
      "must be a CNI network name (letters, digits, '_', '.', '-'; at most 100)",
      options.network,
    );
  }
  const subnetProblem = checkSubnet(options.subnet);
  if (subnetProblem) bad("subnet", subnetProblem, options.subnet);
  if (!INTERFACE_NAME.test(options.bridge)) {
    bad("bridge", "must be an interface name (1-15 letters, digits, '_', '.', '-')", options.bridge);
  }
  if (!NAMESPACE_NAME.test(options.namespace) || options.namespace.length > 63) {
    bad("namespace", "must be a DNS-1123 label (a Palisade namespace name)", options.namespace);
  }
  const socket = options.agentSocket;
  if (!socket.startsWith("/") || Buffer.byteLength(socket) > SUN_PATH_MAX || /[\n\0]/.test(socket)) {
    bad("agent-socket", `must be an absolute path of at most ${SUN_PATH_MAX} bytes`, socket);
  }
  return problems;
}

function checkSubnet(text: string): string | undefined {
  const prefix = parseCidr(text);
  if (!prefix) return "must be a CIDR such as 10.222.0.0/24";
  if (prefix.hostBitsSet) return `must name its network address (${formatPrefix(prefix)})`;
  // host-local keeps the network address, the gateway (first address) and, in IPv4, broadcast.
  const maxLen = prefix.family === 4 ? 30 : 126;
  if (prefix.prefixLen > maxLen) return `must leave room for the gateway and pods (at most /${maxLen})`;
  return undefined;
}

export function conflistFileName(network: string): string {
  return `${CONFLIST_PRIORITY}-${network}.conflist`;
}

/** The conflist for these (valid) options, as a JSON-ready object. */
export function buildConflist(options: NetworkOptions): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: options.network,
    [INSTALLED_BY_KEY]: INSTALLED_BY_VALUE,
    plugins: [
      {
        type: "bridge",
        bridge: options.bridge,
        // The bridge holds the gateway address, so the host reaches its pods; no masquerade
        // (pod traffic leaves with pod addresses, as policy expects); hairpin lets a pod reach
        // itself through a port mapping (the portmap plugin) on the bridge.
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        // No default route: pods talk on this subnet; reaching beyond it is the operator's call.
        ipam: { type: "host-local", ranges: [[{ subnet: options.subnet }]], routes: [] },
      },
      {
        type: "palisade",
        agentSocket: options.agentSocket,
        namespace: options.namespace,
        capabilities: { "io.kubernetes.cri.pod-annotations": true },
      },
    ],
  };
}

export function renderConflist(options: NetworkOptions): string {
  return `${JSON.stringify(buildConflist(options), null, 2)}\n`;
}

/** True when the text is a conflist carrying our mark. */
export function isOurConflist(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return (
      typeof parsed === "object" &&
      parsed !== null &&
      (parsed as Record<string, unknown>)[INSTALLED_BY_KEY] === INSTALLED_BY_VALUE
    );
  } catch {
    return false;
  }
}

/** The `name` of a CNI configuration text, when it has one. */
export function networkNameOf(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    const name =
      typeof parsed === "object" && parsed !== null ? (parsed as { name?: unknown }).name : undefined;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}
