// Owns a CNI pod's named ports: the annotation (CRI) or label (podman) `palisade.dev/ports`, a JSON
// list as in the endpoint body, e.g. [{"name":"http","port":80,"protocol":"TCP"}]. A runtime does
// not tell a pod's ports otherwise, and NetworkPolicy rules may name them.
export const PORTS_KEY = "palisade.dev/ports";

export interface NamedPort {
  name: string;
  port: number;
  protocol: "TCP" | "UDP" | "SCTP";
}

/** The ports an annotation lists, or an error message naming what is wrong. */
export function parsePorts(text: string): NamedPort[] | string {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return `${PORTS_KEY} is not JSON`;
  }
  if (!Array.isArray(list)) return `${PORTS_KEY} must be a JSON list`;
  const out: NamedPort[] = [];
  for (const [i, p] of list.entries()) {
    const { name, port, protocol = "TCP" } = (p ?? {}) as Record<string, unknown>;
    if (
      typeof name !== "string" ||
      typeof port !== "number" ||
      !["TCP", "UDP", "SCTP"].includes(String(protocol))
    ) {
      return `${PORTS_KEY}[${i}] must be {"name", "port", "protocol"}`;
    }
    out.push({ name, port, protocol: protocol as NamedPort["protocol"] });
  }
  return out;
}

/** The ports named in `source` (annotations or labels), or undefined when it names none or is bad. */
export function portsOf(
  source: Record<string, unknown> | undefined,
  warn: (msg: string) => void,
): NamedPort[] | undefined {
  const text = source?.[PORTS_KEY];
  if (typeof text !== "string") return undefined;
  const parsed = parsePorts(text);
  if (typeof parsed === "string") {
    warn(parsed);
    return undefined;
  }
  return parsed;
}
