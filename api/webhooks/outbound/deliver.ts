// Owns one delivery attempt on the wire: a signed POST with an overall timeout, a bounded read of
// the answer, and a DNS lookup that refuses forbidden addresses at connect time.
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { signatureHeader } from "../signing.ts";
import { checkedLookup, type DestinationPolicy, DestinationRefused, type Resolve } from "./destination.ts";

export interface SendOptions {
  url: string;
  /** The event id, sent as webhook-id (the same on every attempt). */
  id: string;
  body: string;
  secrets: string[];
  /** Epoch seconds, sent as webhook-timestamp and signed. */
  timestamp: number;
  timeoutMs: number;
  maxResponseBytes: number;
  policy: DestinationPolicy;
  resolve: Resolve;
}

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  /** The first bytes of the answer (at most maxResponseBytes), as text. */
  response: string | null;
  /** The destination resolved to an address that is not allowed (nothing was sent). */
  refused?: boolean;
}

export const USER_AGENT = "Palisade-Webhooks/1";

// Connections are kept open between attempts. A new connection always goes through the checked
// lookup; a kept one stays bound to the address that lookup allowed. Idle ones close after 4 s,
// before the usual 5 s server keep-alive timeout, so a reused socket is rarely one being closed.
const agents = {
  "http:": new http.Agent({ keepAlive: true, timeout: 4000, maxSockets: 64 }),
  "https:": new https.Agent({ keepAlive: true, timeout: 4000, maxSockets: 64 }),
};

/** POSTs one event; never throws (every failure is a result with `error`). */
export function sendEvent(opts: SendOptions): Promise<SendResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      return done({ statusCode: null, error: `invalid URL ${opts.url}`, response: null });
    }
    const host = url.hostname.replace(/^\[|\]$/g, "");
    // An IP literal never goes through lookup: check it here.
    if (isIP(host)) {
      const verdict = opts.policy.check(host);
      if (!verdict.allowed) {
        const error = new DestinationRefused(host, verdict).message;
        return done({ statusCode: null, error, response: null, refused: true });
      }
    }
    const body = Buffer.from(opts.body);
    const transport = url.protocol === "https:" ? https : http;
    const req = transport.request(url, {
      method: "POST",
      lookup: checkedLookup(opts.policy, opts.resolve),
      headers: {
        "content-type": "application/json",
        "content-length": body.length,
        "user-agent": USER_AGENT,
        "webhook-id": opts.id,
        "webhook-timestamp": String(opts.timestamp),
        "webhook-signature": signatureHeader(opts.secrets, opts.id, opts.timestamp, body),
      },
      agent: agents[url.protocol as "http:" | "https:"],
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no complete answer within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on("error", (err) =>
      done({
        statusCode: null,
        error: err.message,
        response: null,
        refused: err instanceof DestinationRefused,
      }),
    );
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () =>
        done({
          statusCode: res.statusCode ?? null,
          error: null,
          response: Buffer.concat(chunks).toString("utf8"),
        });
      res.on("data", (chunk: Buffer) => {
        const room = opts.maxResponseBytes - size;
        if (room > 0) chunks.push(chunk.subarray(0, room));
        size += chunk.length;
        // Enough read: the rest of the answer is not our business.
        if (size >= opts.maxResponseBytes) {
          finish();
          res.destroy();
        }
      });
      res.on("end", finish);
      res.on("error", (err) =>
        done({ statusCode: res.statusCode ?? null, error: err.message, response: null }),
      );
    });
    req.end(body);
  });
}
