// Owns where client commands connect and which token they send (flags, env, ./data/admin-token).
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type ApiClient, type Connection, createClient } from "./client.ts";
import type { FlagSpec } from "./command.ts";
import { type ParsedFlags, UsageError } from "./flags.ts";
import { type Io, workingDirectory } from "./io.ts";
import { DEFAULT_SERVER, SERVER_FLAG } from "./shared-flags.ts";

export const LOCAL_ADMIN_TOKEN_FILE = "data/admin-token";

export const connectionFlags: FlagSpec[] = [
  SERVER_FLAG,
  {
    name: "token",
    type: "string",
    valueName: "TOKEN",
    description: "bearer token",
    defaultText: `the contents of ./${LOCAL_ADMIN_TOKEN_FILE} when it exists`,
    env: "PALISADE_TOKEN",
  },
];

export async function connect(parsed: ParsedFlags, io: Io): Promise<ApiClient> {
  return createClient(await resolveConnection(parsed, io), io);
}

/** The server and token the connection flags name (for commands that stream, like observe -f). */
export async function resolveConnection(parsed: ParsedFlags, io: Io): Promise<Connection> {
  const server = normaliseServer(parsed.values.server ?? DEFAULT_SERVER);
  const token = parsed.values.token ?? (await readLocalAdminToken(io));
  return { server, token };
}

function normaliseServer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--server (or PALISADE_SERVER) must be an http:// or https:// URL; got ${JSON.stringify(raw)}`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `--server (or PALISADE_SERVER) must be an http:// or https:// URL; got ${JSON.stringify(raw)}`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

async function readLocalAdminToken(io: Io): Promise<string | undefined> {
  try {
    const text = await readFile(resolve(workingDirectory(io), LOCAL_ADMIN_TOKEN_FILE), "utf8");
    return text.trim() || undefined;
  } catch {
    return undefined;
  }
}
