// Owns Collection: the maps and programs of one object loaded into the kernel, with map pinning
// in a bpffs directory and reuse of maps already pinned there (so an agent restart keeps state).
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { checkBpffs } from "./bpffs.ts";
import { BpfMap } from "./map.ts";
import { native } from "./native.ts";
import { Program } from "./program.ts";
import type { CollectionSpec } from "./spec.ts";

export interface CollectionOptions {
  /**
   * bpffs directory for maps: each map is pinned as `<pinDir>/<map name>`; a map already pinned
   * there is reused (libbpf checks that type, sizes and flags match). Omit for unpinned maps.
   */
  pinDir?: string;
}

export class Collection {
  readonly maps: Readonly<Record<string, BpfMap>>;
  readonly programs: Readonly<Record<string, Program>>;
  readonly pinDir: string | undefined;
  #handle: number;

  constructor(
    handle: number,
    maps: Record<string, BpfMap>,
    programs: Record<string, Program>,
    pinDir?: string,
  ) {
    this.#handle = handle;
    this.maps = maps;
    this.programs = programs;
    this.pinDir = pinDir;
  }

  map(name: string): BpfMap {
    const m = this.maps[name];
    if (!m) throw Object.assign(new Error(`collection has no map ${name}`), { code: "ERR_BPF_NOT_FOUND" });
    return m;
  }

  program(name: string): Program {
    const p = this.programs[name];
    if (!p)
      throw Object.assign(new Error(`collection has no program ${name}`), { code: "ERR_BPF_NOT_FOUND" });
    return p;
  }

  /** Releases the fds; pinned maps and programs attached through pinned links stay in the kernel. */
  close(): void {
    if (this.#handle === 0) return;
    for (const m of Object.values(this.maps)) m.close();
    for (const p of Object.values(this.programs)) p.close();
    native().objectClose(this.#handle);
    this.#handle = 0;
  }
}

function existingAncestor(dir: string): string {
  let d = resolve(dir);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Loads a spec into the kernel (max_entries as in the spec, see withMaxEntries). */
export async function loadCollection(
  spec: CollectionSpec,
  { pinDir }: CollectionOptions = {},
): Promise<Collection> {
  const n = native();
  if (pinDir) {
    checkBpffs(existingAncestor(pinDir));
    mkdirSync(pinDir, { recursive: true });
  }
  const h = n.objectOpen(spec.path);
  try {
    for (const m of Object.values(spec.maps)) {
      n.objectSetMaxEntries(h, m.name, m.maxEntries);
      // .rodata/.bss style internal maps cannot be reused across objects: never pin them.
      if (pinDir && !m.name.includes(".")) n.objectSetPinPath(h, m.name, join(pinDir, m.name));
    }
    await n.objectLoad(h);
    const maps: Record<string, BpfMap> = {};
    for (const m of Object.values(spec.maps)) maps[m.name] = new BpfMap(n.objectMapFd(h, m.name), false);
    const programs: Record<string, Program> = {};
    for (const p of Object.values(spec.programs))
      programs[p.name] = new Program(n.objectProgFd(h, p.name), false);
    return new Collection(h, maps, programs, pinDir);
  } catch (e) {
    n.objectClose(h);
    throw e;
  }
}
