// Owns the collection spec: what an object file declares (maps, programs), read without creating
// any kernel object (the cilium/ebpf CollectionSpec step).
import { bpfError } from "./errors.ts";
import { native } from "./native.ts";

export interface MapSpec {
  name: string;
  /** enum bpf_map_type */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface ProgramSpec {
  name: string;
  section: string;
  /** enum bpf_prog_type */
  type: number;
}

export interface CollectionSpec {
  path: string;
  maps: Record<string, MapSpec>;
  programs: Record<string, ProgramSpec>;
}

/** Parses an ELF object's maps and programs; loads nothing into the kernel. */
export function loadCollectionSpec(path: string): CollectionSpec {
  const n = native();
  const h = n.objectOpen(path);
  try {
    const maps: Record<string, MapSpec> = {};
    for (const m of n.objectMaps(h)) maps[m.name] = { ...m };
    const programs: Record<string, ProgramSpec> = {};
    for (const p of n.objectPrograms(h)) programs[p.name] = { ...p };
    return { path, maps, programs };
  } finally {
    n.objectClose(h);
  }
}

/** A copy of the spec with some max_entries changed; unknown map names are refused. */
export function withMaxEntries(spec: CollectionSpec, sizes: Record<string, number>): CollectionSpec {
  const maps = { ...spec.maps };
  for (const [name, maxEntries] of Object.entries(sizes)) {
    const m = maps[name];
    if (!m)
      throw bpfError("ERR_BPF_ARGUMENT", `maxEntries names map ${name}, which ${spec.path} does not declare`);
    if (!Number.isInteger(maxEntries) || maxEntries <= 0) {
      throw bpfError(
        "ERR_BPF_ARGUMENT",
        `maxEntries of ${name} must be a positive integer, got ${maxEntries}`,
      );
    }
    maps[name] = { ...m, maxEntries };
  }
  return { ...spec, maps };
}
