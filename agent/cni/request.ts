// Owns reading one CNI invocation (pure): the CNI_* parameters and the network configuration the
// runtime gave the plugin, checked for what each command needs.
import type { CniRequest } from "../../wire/cni-socket.ts";
import { CNI_CODE, CniError } from "./errors.ts";

export const SUPPORTED_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;

export type CniCommand = "ADD" | "DEL" | "CHECK" | "GC" | "STATUS" | "VERSION";
const COMMANDS: readonly string[] = ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"];

/** The keys of the plugin's own configuration object that Palisade reads. */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  /** Namespace of podman containers without a `palisade.dev/namespace` label (default `default`). */
  namespace: string;
  /** The result of the plugins before this one (ADD, CHECK; DEL when the runtime kept it). */
  prevResult?: unknown;
  /** Set by the runtime for declared capabilities (`io.kubernetes.cri.pod-annotations`). */
  runtimeConfig?: Record<string, unknown>;
  /** GC: the attachments the runtime still holds. */
  validAttachments?: { containerId: string; ifname: string }[];
}

export interface Invocation {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS as key -> value (`K8S_POD_NAMESPACE`, `K8S_POD_NAME`, ...). */
  args: Record<string, string>;
  config: NetConf;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** CNI_ARGS: `K1=V1;K2=V2`; a part without `=` is refused, as libcni does. */
export function parseCniArgs(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(";")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0)
      throw new CniError(
        CNI_CODE.invalidEnvironment,
        `CNI_ARGS part ${JSON.stringify(part)} is not KEY=VALUE`,
      );
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function parseConfig(stdin: string, command: CniCommand): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(CNI_CODE.decodeFailure, "the network configuration is not JSON", String(e));
  }
  if (!isRecord(raw))
    throw new CniError(CNI_CODE.decodeFailure, "the network configuration is not a JSON object");
  const version = typeof raw.cniVersion === "string" ? raw.cniVersion : "";
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
    throw new CniError(
      CNI_CODE.incompatibleVersion,
      `cniVersion ${JSON.stringify(raw.cniVersion)} is not supported`,
      `supported: ${SUPPORTED_VERSIONS.join(", ")}`,
    );
  }
  const text = (key: string, fallback?: string): string => {
    const v = raw[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== "string" || v === "") {
      throw new CniError(
        CNI_CODE.invalidConfig,
        `network configuration key ${key} must be a non-empty string`,
      );
    }
    return v;
  };
  const config: NetConf = {
    cniVersion: version,
    name: text("name"),
    type: text("type", "palisade"),
    namespace: text("namespace", "default"),
  };
  if (raw.prevResult !== undefined) config.prevResult = raw.prevResult;
  if (isRecord(raw.runtimeConfig)) config.runtimeConfig = raw.runtimeConfig;
  const valid = raw["cni.dev/valid-attachments"];
  if (command === "GC" && Array.isArray(valid)) {
    config.validAttachments = valid.filter(isRecord).map((a) => ({
      containerId: String(a.containerID ?? ""),
      ifname: String(a.ifname ?? ""),
    }));
  }
  return config;
}

/** Reads a request; throws CniError naming what is missing or malformed. */
export function readInvocation(req: CniRequest): Invocation {
  const command = req.env.CNI_COMMAND ?? "";
  if (!COMMANDS.includes(command)) {
    throw new CniError(
      CNI_CODE.invalidEnvironment,
      `CNI_COMMAND ${JSON.stringify(command)} is not a CNI command`,
    );
  }
  const cmd = command as CniCommand;
  const needs = (name: "CNI_CONTAINERID" | "CNI_IFNAME" | "CNI_NETNS"): string => {
    const v = req.env[name] ?? "";
    if (v === "") throw new CniError(CNI_CODE.invalidEnvironment, `${name} is required for ${cmd}`);
    return v;
  };
  const perContainer = cmd === "ADD" || cmd === "DEL" || cmd === "CHECK";
  return {
    command: cmd,
    containerId: perContainer ? needs("CNI_CONTAINERID") : "",
    // DEL may come without a namespace (the runtime already lost it): then only records go.
    netns: cmd === "ADD" || cmd === "CHECK" ? needs("CNI_NETNS") : (req.env.CNI_NETNS ?? ""),
    ifName: perContainer ? needs("CNI_IFNAME") : "",
    args: parseCniArgs(req.env.CNI_ARGS),
    config: parseConfig(req.stdin, cmd),
  };
}
