// Owns resolving interface names to indexes and back: the host's interfaces (sysfs and the addon)
// for the BPF datapath, or a virtual table for the in-memory datapath and simulations.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface InterfaceTable {
  /** The index of a named interface, or undefined when it does not exist. */
  ifindex(name: string): number | undefined;
  /** The name of an interface index, or undefined when no interface has it. */
  name(ifindex: number): string | undefined;
}

/** The interfaces of this host's network namespace, read from sysfs on every call. */
export function hostInterfaces(sysfs = "/sys/class/net"): InterfaceTable {
  const read = (name: string): number | undefined => {
    if (name.includes("/") || name === "." || name === "..") return undefined;
    try {
      return Number(readFileSync(join(sysfs, name, "ifindex"), "utf8").trim());
    } catch {
      return undefined;
    }
  };
  return {
    ifindex: read,
    name(ifindex) {
      for (const n of readdirSync(sysfs)) if (read(n) === ifindex) return n;
      return undefined;
    },
  };
}

/**
 * Interfaces that exist only in this process. With `autoCreate` every name exists on first use
 * (simulations); otherwise tests add and remove them to model pods coming and going.
 */
export class VirtualInterfaces implements InterfaceTable {
  static #next = 1000;
  readonly #byName = new Map<string, number>();
  readonly #autoCreate: boolean;

  constructor({ autoCreate = true }: { autoCreate?: boolean } = {}) {
    this.#autoCreate = autoCreate;
  }

  add(name: string): number {
    const existing = this.#byName.get(name);
    if (existing !== undefined) return existing;
    const index = VirtualInterfaces.#next++;
    this.#byName.set(name, index);
    return index;
  }

  remove(name: string): void {
    this.#byName.delete(name);
  }

  ifindex(name: string): number | undefined {
    return this.#byName.get(name) ?? (this.#autoCreate ? this.add(name) : undefined);
  }

  name(ifindex: number): string | undefined {
    for (const [n, i] of this.#byName) if (i === ifindex) return n;
    return undefined;
  }
}
