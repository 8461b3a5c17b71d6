// Owns expected connectivity, written per case from the Kubernetes documentation (the model of
// upstream's Reachability): a from x to table over pods, set by peer selectors, and the printer
// that shows expected vs observed cell by cell. It knows nothing of api/policy.

/** Selects pods by namespace and/or pod name; an empty selector selects every pod. */
export interface Peer {
  namespace?: string;
  pod?: string;
}

function matches(peer: Peer, key: string): boolean {
  const [ns, pod] = key.split("/");
  return (
    (peer.namespace === undefined || peer.namespace === ns) && (peer.pod === undefined || peer.pod === pod)
  );
}

function peerOf(p: Peer | string): Peer {
  if (typeof p !== "string") return p;
  const [namespace, pod] = p.split("/");
  return pod === undefined ? { namespace } : { namespace, pod };
}

export class Reachability {
  readonly keys: string[];
  #cells = new Map<string, boolean>();

  constructor(keys: string[], allowed: boolean) {
    this.keys = keys;
    for (const from of keys) for (const to of keys) this.#cells.set(`${from}>${to}`, allowed);
  }

  /** Sets every cell from a pod selected by `from` to a pod selected by `to` ("x", "x/a" or a Peer). */
  expect(from: Peer | string, to: Peer | string, allowed: boolean): this {
    const f = peerOf(from);
    const t = peerOf(to);
    for (const a of this.keys)
      for (const b of this.keys) if (matches(f, a) && matches(t, b)) this.set(a, b, allowed);
    return this;
  }

  /** Every connection into pods selected by `to`. */
  expectIngress(to: Peer | string, allowed: boolean): this {
    return this.expect({}, to, allowed);
  }

  /** Every connection out of pods selected by `from`. */
  expectEgress(from: Peer | string, allowed: boolean): this {
    return this.expect(from, {}, allowed);
  }

  set(from: string, to: string, allowed: boolean): void {
    this.#cells.set(`${from}>${to}`, allowed);
  }

  get(from: string, to: string): boolean {
    const v = this.#cells.get(`${from}>${to}`);
    if (v === undefined) throw new Error(`no cell ${from} -> ${to}`);
    return v;
  }

  clone(): Reachability {
    const r = new Reachability(this.keys, true);
    for (const a of this.keys) for (const b of this.keys) r.set(a, b, this.get(a, b));
    return r;
  }
}

/**
 * Expected and observed side by side, rows = from, columns = to: `.` connected, `X` blocked,
 * `-` not probed (a pod to itself never crosses the datapath); a wrong cell is marked `*`.
 */
export function renderMatrix(title: string, expected: Reachability, observed: Reachability): string {
  const keys = expected.keys;
  const width = Math.max(...keys.map((k) => k.length));
  const header = `${" ".repeat(width)} ${keys.map((k) => k.padStart(width)).join(" ")}`;
  const table = (label: string, cell: (from: string, to: string) => string) =>
    [
      label,
      header,
      ...keys.map(
        (from) => `${from.padEnd(width)} ${keys.map((to) => cell(from, to).padStart(width)).join(" ")}`,
      ),
    ].join("\n");
  const mark = (v: boolean) => (v ? "." : "X");
  const wrong: string[] = [];
  const diff = table("diff (* = wrong):", (from, to) => {
    if (from === to) return "-";
    if (expected.get(from, to) === observed.get(from, to)) return mark(expected.get(from, to));
    wrong.push(
      `${from} -> ${to}: expected ${mark(expected.get(from, to))}, observed ${mark(observed.get(from, to))}`,
    );
    return "*";
  });
  return [
    `${title}: ${wrong.length} wrong cell(s)`,
    table("expected:", (f, t) => (f === t ? "-" : mark(expected.get(f, t)))),
    table("observed:", (f, t) => (f === t ? "-" : mark(observed.get(f, t)))),
    diff,
    ...wrong,
  ].join("\n");
}
