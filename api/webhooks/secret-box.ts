// Owns the sealed form of webhook secrets at rest (pure crypto): AES-256-GCM under a 256-bit key
// kept outside the database, a random 96-bit nonce per value, the ciphertext bound to the column
// and row it belongs to, stored as `v1:<key id>:<nonce base64>:<ciphertext+tag base64>`.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const VERSION = "v1";
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  override name = "SecretBoxError";
}

/** A short public name of a key, so a sealed value says which key opens it. */
export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update("palisade secret key id\0").update(key).digest("hex").slice(0, 8);
}

/** A new key as the text a key file or PALISADE_SECRET_KEY holds (base64 of 32 random bytes). */
export function generateSecretKey(random: (n: number) => Buffer = randomBytes): string {
  return random(KEY_BYTES).toString("base64");
}

/**
 * Keys from their text form: separated by commas or newlines, each base64 or hex of 32 bytes;
 * `source` names where they came from in errors.
 */
export function parseSecretKeys(text: string, source: string): Buffer[] {
  const entries = text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (entries.length === 0) throw new SecretBoxError(`${source} holds no key`);
  return entries.map((entry, i) => {
    const key = /^[0-9a-fA-F]{64}$/.test(entry)
      ? Buffer.from(entry, "hex")
      : /^[A-Za-z0-9+/_-]{43}=?$/.test(entry)
        ? Buffer.from(entry, "base64")
        : undefined;
    if (key?.length !== KEY_BYTES) {
      throw new SecretBoxError(
        `${source}: key ${i + 1} must be 32 bytes in base64 (44 characters) or hex (64 characters); got ${entry.length} characters`,
      );
    }
    return key;
  });
}

/**
 * Seals with the first key; opens with any of them, so a retired key keeps opening old values
 * until they are sealed again with the new one (rotation).
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  /** The id of the key that seals. */
  readonly keyId: string;

  constructor(
    keys: Buffer[],
    private readonly random: (n: number) => Buffer = randomBytes,
  ) {
    if (keys.length === 0) throw new SecretBoxError("a secret box needs at least one key");
    for (const k of keys) {
      if (k.length !== KEY_BYTES) throw new SecretBoxError(`a secret key is 32 bytes, got ${k.length}`);
    }
    this.keys = new Map(keys.map((k) => [keyIdOf(k), k]));
    this.keyId = keyIdOf(keys[0]!);
  }

  /** Ids of every key this box opens with. */
  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** `plain` sealed for `context` (e.g. `webhooks.secret/wh_123`): opening it elsewhere fails. */
  seal(plain: string, context: string): string {
    const nonce = this.random(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.keys.get(this.keyId)!, nonce);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}:${this.keyId}:${nonce.toString("base64")}:${body.toString("base64")}`;
  }

  /** The clear value of `sealed`; throws SecretBoxError when no key opens it for this context. */
  open(sealed: string, context: string): string {
    const parts = sealed.split(":");
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new SecretBoxError(`${context}: not a sealed value (expected ${VERSION}:<key>:<nonce>:<data>)`);
    }
    const [, keyId, nonceText, bodyText] = parts as [string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new SecretBoxError(`${context} is sealed with key ${keyId}, which is not configured`);
    const nonce = Buffer.from(nonceText, "base64");
    const body = Buffer.from(bodyText, "base64");
    if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
      throw new SecretBoxError(`${context}: sealed value is truncated`);
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, nonce);
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString("utf8");
    } catch (cause) {
      throw new SecretBoxError(`${context}: sealed value does not authenticate under key ${keyId}`, {
        cause,
      });
    }
  }

  /** True when `value` has the sealed form (clear secrets never do: they hold no `v1:` prefix). */
  static isSealed(value: string): boolean {
    return value.startsWith(`${VERSION}:`);
  }

  /** True when `value` is sealed with the key that seals now (nothing to do on rotation). */
  sealedWithCurrentKey(value: string): boolean {
    return value.startsWith(`${VERSION}:${this.keyId}:`);
  }
}

let processBox: SecretBox | undefined;

/**
 * A box with a key that lives only as long as this process: the default of embedders and tests
 * that pass none. The server always passes the key it loaded (api/secret-keys.ts), never this.
 */
export function processSecretBox(): SecretBox {
  processBox ??= new SecretBox([randomBytes(KEY_BYTES)]);
  return processBox;
}
