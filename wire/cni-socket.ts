// Owns the framing between the `palisade` CNI plugin (a small C program, cni/plugin/palisade.c) and
// the agent's CNI socket. The plugin is exec'd once per pod by the runtime, so it does no CNI work of
// its own: it forwards its CNI_* environment and stdin to the agent and relays the answer.
//
// Request (plugin -> agent), then the plugin shuts down its write side:
//   "PALISADE-CNI 1\n"
//   "CNI_COMMAND=ADD\n" ... one "NAME=VALUE\n" line per CNI_* variable that is set (values hold no
//   newline; the plugin refuses such an environment itself)
//   "\n"
//   the plugin's stdin, byte for byte (the network configuration, with prevResult when chained)
// Answer (agent -> plugin), then the agent closes:
//   "<exit code>\n" followed by the bytes the plugin writes to its stdout.
// The C plugin writes the same framing; wire/cni-socket.test.ts checks both sides agree.

export const CNI_SOCKET_MAGIC = "PALISADE-CNI 1";
/** The agent's default socket; the plugin config key `agentSocket` overrides it. */
export const DEFAULT_CNI_SOCKET = "/run/palisade/cni.sock";
/** Largest request the agent reads: a network configuration with its prevResult is a few KiB. */
export const MAX_CNI_REQUEST_BYTES = 1 << 20;

/** The CNI_* variables the plugin forwards (CNI spec 1.0 section "Parameters"). */
export const CNI_ENV_NAMES = [
  "CNI_COMMAND",
  "CNI_CONTAINERID",
  "CNI_NETNS",
  "CNI_IFNAME",
  "CNI_ARGS",
  "CNI_PATH",
] as const;
export type CniEnvName = (typeof CNI_ENV_NAMES)[number];

export interface CniRequest {
  env: Partial<Record<CniEnvName, string>>;
  /** The network configuration as the runtime sent it (not yet parsed). */
  stdin: string;
}

export interface CniAnswer {
  exitCode: number;
  stdout: string;
}

export class CniFramingError extends Error {}

export function encodeCniRequest(req: CniRequest): Buffer {
  let head = `${CNI_SOCKET_MAGIC}\n`;
  for (const name of CNI_ENV_NAMES) {
    const value = req.env[name];
    if (value === undefined) continue;
    if (value.includes("\n")) throw new CniFramingError(`${name} holds a newline`);
    head += `${name}=${value}\n`;
  }
  return Buffer.concat([Buffer.from(`${head}\n`), Buffer.from(req.stdin)]);
}

export function decodeCniRequest(bytes: Buffer): CniRequest {
  const text = bytes.toString("utf8");
  const end = text.indexOf("\n\n");
  if (end < 0) throw new CniFramingError("request has no end of header (blank line)");
  const [magic, ...lines] = text.slice(0, end).split("\n");
  if (magic !== CNI_SOCKET_MAGIC) {
    throw new CniFramingError(`request starts with ${JSON.stringify(magic)}, not ${CNI_SOCKET_MAGIC}`);
  }
  const env: CniRequest["env"] = {};
  for (const line of lines) {
    const eq = line.indexOf("=");
    const name = line.slice(0, eq);
    if (eq < 0 || !(CNI_ENV_NAMES as readonly string[]).includes(name)) {
      throw new CniFramingError(`unexpected header line ${JSON.stringify(line.slice(0, 80))}`);
    }
    env[name as CniEnvName] = line.slice(eq + 1);
  }
  return { env, stdin: text.slice(end + 2) };
}

export function encodeCniAnswer(answer: CniAnswer): Buffer {
  if (!Number.isInteger(answer.exitCode) || answer.exitCode < 0 || answer.exitCode > 255) {
    throw new CniFramingError(`exit code ${answer.exitCode} is not 0-255`);
  }
  return Buffer.from(`${answer.exitCode}\n${answer.stdout}`);
}

export function decodeCniAnswer(bytes: Buffer): CniAnswer {
  const text = bytes.toString("utf8");
  const nl = text.indexOf("\n");
  const code = nl < 0 ? "" : text.slice(0, nl);
  if (!/^\d{1,3}$/.test(code)) throw new CniFramingError("answer does not start with an exit code line");
  return { exitCode: Number(code), stdout: text.slice(nl + 1) };
}
