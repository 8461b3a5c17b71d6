// Owns the agent's files in --state-dir: the node credential and the applied revision (with the
// endpoints still waiting for their interfaces), each written atomically with mode 0600.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { EndpointEntry } from "../wire/entries.ts";

export interface StoredCredential {
  node: string;
  credential: string;
  /** When the credential was issued (enrollment or rotation), ISO 8601. */
  issuedAt: string;
}

export interface AppliedRecord {
  node: string;
  revision: number;
  /** Desired endpoints whose interfaces did not exist yet: the kernel maps cannot hold them. */
  pendingEndpoints: EndpointEntry[];
}

/** Writes `data` to a temporary file beside `path` (mode 0600), syncs it, and renames it over `path`. */
export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const fd = openSync(tmp, "wx", mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode); // the umask may have narrowed or widened the create mode
  renameSync(tmp, path);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export class StateDir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  get credentialPath(): string {
    return join(this.dir, "credential.json");
  }

  get appliedPath(): string {
    return join(this.dir, "applied.json");
  }

  readCredential(): StoredCredential | undefined {
    const v = readJson(this.credentialPath) as Partial<StoredCredential> | undefined;
    if (!v) return undefined;
    if (typeof v.node !== "string" || typeof v.credential !== "string" || typeof v.issuedAt !== "string") {
      throw new Error(
        `${this.credentialPath} must hold {node, credential, issuedAt}; remove it to enroll again`,
      );
    }
    return { node: v.node, credential: v.credential, issuedAt: v.issuedAt };
  }

  writeCredential(c: StoredCredential): void {
    writeFileAtomic(this.credentialPath, `${JSON.stringify(c)}\n`);
  }

  readApplied(): AppliedRecord | undefined {
    const v = readJson(this.appliedPath) as Partial<AppliedRecord> | undefined;
    if (!v || typeof v.node !== "string" || !Number.isInteger(v.revision)) return undefined;
    return { node: v.node, revision: v.revision!, pendingEndpoints: v.pendingEndpoints ?? [] };
  }

  writeApplied(r: AppliedRecord): void {
    writeFileAtomic(this.appliedPath, `${JSON.stringify(r)}\n`);
  }
}
