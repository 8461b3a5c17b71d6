// Owns webhook secrets and signatures: Standard Webhooks (`webhook-signature: v1,<base64>`) for
// outbound and inbound messages, and GitHub's `X-Hub-Signature-256` for inbound ones. Pure crypto.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SECRET_PREFIX = "whsec_";

/** A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(random: (n: number) => Buffer = randomBytes): string {
  return `${SECRET_PREFIX}${random(32).toString("base64")}`;
}

/** A new shared secret for a GitHub-style receiver (any string; this one is 32 random bytes). */
export function generateGithubSecret(random: (n: number) => Buffer = randomBytes): string {
  return random(32).toString("base64url");
}

/** The key bytes of a `whsec_` secret (the base64 after the prefix). */
export function secretBytes(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new Error(`a webhook secret starts with ${SECRET_PREFIX}; got one that does not`);
  }
  return Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
}

/** base64 HMAC-SHA256 over `${id}.${timestamp}.${body}` (one `v1` signature, without the prefix). */
export function signatureOf(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  return createHmac("sha256", secretBytes(secret))
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest("base64");
}

/** The `webhook-signature` header value: `v1,<sig>` for each secret, space separated. */
export function signatureHeader(
  secrets: string[],
  id: string,
  timestamp: number,
  body: string | Buffer,
): string {
  return secrets.map((s) => `v1,${signatureOf(s, id, timestamp, body)}`).join(" ");
}

function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when one `v1,` signature in `header` matches (constant-time per candidate). */
export function verifyStandardSignature(
  secret: string,
  id: string,
  timestamp: number,
  body: Buffer,
  header: string,
): boolean {
  const expected = Buffer.from(signatureOf(secret, id, timestamp, body), "base64");
  let ok = false;
  for (const part of header.split(" ")) {
    const comma = part.indexOf(",");
    if (comma < 0 || part.slice(0, comma) !== "v1") continue;
    // Keep comparing after a match so the time does not tell which candidate matched.
    if (equalBytes(Buffer.from(part.slice(comma + 1), "base64"), expected)) ok = true;
  }
  return ok;
}

/** True when `header` is `sha256=<hex HMAC-SHA256(secret, body)>` (GitHub's X-Hub-Signature-256). */
export function verifyGithubSignature(secret: string, body: Buffer, header: string): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return equalBytes(Buffer.from(m[1]!, "hex"), expected);
}
