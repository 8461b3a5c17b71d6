// Owns where the key that seals webhook secrets comes from: PALISADE_SECRET_KEY, else the key file
// beside the database (mode 0600, created on the first start, as the admin token is). Either holds
// one or more keys: the first seals, every one opens (rotation, see the README).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { generateSecretKey, parseSecretKeys, SecretBox } from "./webhooks/secret-box.ts";

export const SECRET_KEY_ENV = "PALISADE_SECRET_KEY";
export const SECRET_KEY_FILE = "secret-key";

export interface LoadedKeys {
  box: SecretBox;
  /** The key file read or created; undefined when the keys came from the environment. */
  file?: string;
  created: boolean;
}

export interface LoadKeysOptions {
  /** The environment (PALISADE_SECRET_KEY). */
  env: Record<string, string | undefined>;
  /**
   * Whether a missing key file may be created: false when the database already holds sealed
   * secrets, since a new key could never open them (the start must stop and say so instead).
   */
  mayCreate: boolean;
}

/** The keys for the database at `dbPath` (":memory:": the environment's, else a key for this process). */
export function loadSecretKeys(dbPath: string, { env, mayCreate }: LoadKeysOptions): LoadedKeys {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv) return { box: new SecretBox(parseSecretKeys(fromEnv, SECRET_KEY_ENV)), created: false };
  if (dbPath === ":memory:")
    return { box: new SecretBox(parseSecretKeys(generateSecretKey(), "")), created: false };
  const file = join(dirname(resolve(dbPath)), SECRET_KEY_FILE);
  if (existsSync(file)) {
    return { box: new SecretBox(parseSecretKeys(readFileSync(file, "utf8"), file)), file, created: false };
  }
  if (!mayCreate) {
    throw new Error(
      `the database holds sealed webhook secrets but ${file} does not exist and ${SECRET_KEY_ENV} is not set: restore the key file (or set ${SECRET_KEY_ENV}) that was used with this database`,
    );
  }
  const key = generateSecretKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  return { box: new SecretBox(parseSecretKeys(key, file)), file, created: true };
}
