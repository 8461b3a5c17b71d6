// Owns the listen-address rule every listener shares (the control plane's --listen, the agent's
// --metrics-listen): `host:port`, IPv6 hosts in brackets, port 0 meaning "pick a free one".

export interface ListenAddress {
  /** The host without brackets, as node's listen() takes it. */
  host: string;
  port: number;
}

/**
 * Splits `listen` into host and port; throws naming `flag` and an `example` when it is not
 * host:port (the callers' flags differ, the rule does not).
 */
export function parseListen(
  listen: string,
  { flag = "--listen", example = "127.0.0.1:7400" }: { flag?: string; example?: string } = {},
): ListenAddress {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535)
    throw new Error(`${flag} must be host:port (e.g. ${example}), got ${JSON.stringify(listen)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}
