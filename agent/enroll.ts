// Owns enrollment: trading an enrollment token for a node credential (POST /v1/enroll), retrying
// what may pass later, and keeping the credential in the state dir so later starts reuse it.

import type { Clock } from "../lib/clock.ts";
import { realClock } from "../lib/clock.ts";
import type { Log } from "../lib/log.ts";
import { ENROLL_PATH, type EnrollAnswer, type EnrollRequest, enrollAnswerSchema } from "../wire/enroll.ts";
import type { StateDir, StoredCredential } from "./state-dir.ts";
import { type BackoffOptions, backoffDelay } from "./sync/backoff.ts";

export class EnrollmentError extends Error {
  /** The server's code (`enrollment.token_expired`, ...) or `enrollment.unreachable` / `enrollment.bad_response`. */
  readonly code: string;
  readonly status: number | undefined;
  /** Whether trying again later may succeed (unreachable, 5xx, rate limited). */
  readonly retryable: boolean;

  constructor(code: string, message: string, status?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "EnrollmentError";
    this.code = code;
    this.status = status;
    this.retryable =
      code === "enrollment.unreachable" || code === "enrollment.rate_limited" || (status ?? 0) >= 500;
  }
}

export interface EnrollOptions {
  server: string;
  token: string;
  node: string;
  agentVersion: string;
  fetch?: typeof globalThis.fetch;
}

/** One enrollment attempt: the credential, or an EnrollmentError carrying the server's code. */
export async function enroll({
  server,
  token,
  node,
  agentVersion,
  fetch = globalThis.fetch,
}: EnrollOptions): Promise<EnrollAnswer> {
  const url = new URL(ENROLL_PATH, server);
  const request: EnrollRequest = { token, node, agentVersion };
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
  } catch (e) {
    throw new EnrollmentError("enrollment.unreachable", `POST ${url} failed: ${String(e)}`, undefined, e);
  }
  const body = (await res.json().catch(() => undefined)) as
    | { error?: { code?: unknown; message?: unknown } }
    | undefined;
  if (!res.ok) {
    const code = typeof body?.error?.code === "string" ? body.error.code : `enrollment.http_${res.status}`;
    const message = typeof body?.error?.message === "string" ? body.error.message : res.statusText;
    throw new EnrollmentError(
      code,
      `enrollment of node ${node} refused (${res.status} ${code}): ${message}`,
      res.status,
    );
  }
  const answer = enrollAnswerSchema.safeParse(body);
  if (!answer.success) {
    const issue = answer.error.issues[0];
    throw new EnrollmentError(
      "enrollment.bad_response",
      `POST ${url} answered ${res.status} without a valid credential: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "?"}`,
      res.status,
    );
  }
  return answer.data;
}

export interface EnsureCredentialOptions {
  stateDir: StateDir;
  server: string;
  node: string;
  enrollToken?: string;
  agentVersion: string;
  log: Log;
  clock?: Clock;
  random?: () => number;
  backoff?: Partial<BackoffOptions>;
  /** Attempts for errors that may pass (unreachable, 5xx, rate limited). */
  attempts?: number;
  fetch?: typeof globalThis.fetch;
}

/** The stored credential of this node, or a new one from enrollment (stored before it is returned). */
export async function ensureCredential(o: EnsureCredentialOptions): Promise<StoredCredential> {
  const stored = o.stateDir.readCredential();
  if (stored) {
    if (stored.node !== o.node) {
      throw new EnrollmentError(
        "enrollment.state_dir_node_mismatch",
        `${o.stateDir.credentialPath} belongs to node ${stored.node}, not ${o.node}: use a --state-dir per node`,
      );
    }
    o.log({ level: "info", msg: "reusing the stored node credential", node: o.node });
    return stored;
  }
  if (!o.enrollToken) {
    throw new EnrollmentError(
      "enrollment.no_token",
      `no credential in ${o.stateDir.dir} and no --enroll-token: the first start of node ${o.node} needs one`,
    );
  }
  const { clock = realClock, random = Math.random, attempts = 8 } = o;
  for (let attempt = 0; ; attempt++) {
    try {
      const got = await enroll({
        server: o.server,
        token: o.enrollToken,
        node: o.node,
        agentVersion: o.agentVersion,
        ...(o.fetch ? { fetch: o.fetch } : {}),
      });
      const credential = {
        node: o.node,
        credential: got.credential,
        issuedAt: new Date(clock.now()).toISOString(),
      };
      o.stateDir.writeCredential(credential);
      o.log({ level: "info", msg: "enrolled", node: o.node });
      return credential;
    } catch (e) {
      if (!(e instanceof EnrollmentError) || !e.retryable || attempt + 1 >= attempts) throw e;
      const ms = backoffDelay(attempt, o.backoff, random);
      o.log({
        level: "warn",
        msg: "enrollment failed; retrying",
        code: e.code,
        error: e.message,
        retryInMs: ms,
      });
      await new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    }
  }
}
