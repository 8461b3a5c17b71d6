// Owns attaching a tc program to an interface hook: a tcx link where the kernel has tcx (6.6+),
// else a legacy clsact direct-action filter. A Link is closed (released) or detached (removed);
// a pinned tcx link keeps the program attached after the process exits.
import { unlinkSync } from "node:fs";
import { bpfError } from "./errors.ts";
import { probeFeatures } from "./features.ts";
import { native } from "./native.ts";
import type { Program } from "./program.ts";

/** ingress = packets arriving on the interface (from the pod on its host veth); egress = leaving. */
export type TcHook = "ingress" | "egress";

export interface AttachOptions {
  ifindex: number;
  hook: TcHook;
  /** "auto" (default): tcx when available, else legacy. */
  mode?: "auto" | "tcx" | "legacy";
  /** Legacy tc only: filter handle and priority (defaults 1 and 1; replaced when present). */
  handle?: number;
  priority?: number;
}

const BPF_TCX_INGRESS = 46;

export class Link {
  readonly kind: "tcx" | "legacy";
  readonly ifindex: number;
  readonly hook: TcHook;
  readonly handle: number;
  readonly priority: number;
  #fd: number;
  #pinPath: string | undefined;
  #kept = false;
  /** Legacy: the program attached by this process (its pin marks the filter for a later process). */
  #program: Program | undefined;

  constructor(
    kind: "tcx" | "legacy",
    fd: number,
    ifindex: number,
    hook: TcHook,
    handle = 0,
    priority = 0,
    program?: Program,
  ) {
    this.kind = kind;
    this.#program = program;
    this.#fd = fd;
    this.ifindex = ifindex;
    this.hook = hook;
    this.handle = handle;
    this.priority = priority;
  }

  /** Opens a tcx link pinned at `path` (for example by a previous agent process). */
  static openPinned(path: string): Link {
    const fd = native().objGet(path);
    const info = native().linkInfo(fd);
    const link = new Link(
      "tcx",
      fd,
      info.ifindex,
      info.attachType === BPF_TCX_INGRESS ? "ingress" : "egress",
    );
    link.#pinPath = path;
    link.#kept = true;
    return link;
  }

  /**
   * A legacy filter recorded at `path` by pin() (the program pinned as a marker: tc filters
   * cannot be pinned themselves), for a later process to find, update and detach it. The filter
   * is at handle 1, priority 1 of `hook` on `ifindex`.
   */
  static openPinnedLegacy(path: string, ifindex: number, hook: TcHook): Link {
    const link = new Link("legacy", -1, ifindex, hook, 1, 1);
    link.#pinPath = path;
    link.#kept = true;
    return link;
  }

  get pinPath(): string | undefined {
    return this.#pinPath;
  }

  /** Id of the program attached through this link (tcx), or found at the filter (legacy); 0 = none. */
  programId(): number {
    if (this.kind === "tcx") return this.#fd >= 0 ? native().linkInfo(this.#fd).progId : 0;
    return native().tcQuery(this.ifindex, this.hook === "ingress", this.handle, this.priority);
  }

  /** Replaces the attached program without a gap (tcx: BPF_LINK_UPDATE; legacy: filter replace). */
  update(program: Program): void {
    if (this.kind === "tcx") {
      native().linkUpdate(this.#fd, program.fd);
      return;
    }
    native().tcAttach(this.ifindex, this.hook === "ingress", program.fd, this.handle, this.priority);
    this.#program = program;
    if (this.#pinPath) {
      unlinkSync(this.#pinPath);
      native().objPin(program.fd, this.#pinPath);
    }
  }

  /**
   * Keeps the attachment after close() and process exit. tcx: pins the link at `path` in bpffs.
   * Legacy filters always outlive the process; their program is pinned at `path` as a marker, so
   * that a later process finds the filter (openPinnedLegacy), and close() leaves them.
   */
  pin(path: string): void {
    if (this.kind === "tcx") native().objPin(this.#fd, path);
    else if (this.#program) native().objPin(this.#program.fd, path);
    else throw bpfError("ERR_BPF_ARGUMENT", "a legacy link needs its program to be pinned");
    this.#pinPath = path;
    this.#kept = true;
  }

  /** Removes the pin (the attachment then ends with the last fd). */
  unpin(): void {
    if (this.#pinPath) unlinkSync(this.#pinPath);
    this.#pinPath = undefined;
    this.#kept = false;
  }

  /** Releases this handle: an unpinned attachment ends, a pinned one stays. */
  close(): void {
    if (this.kind === "tcx") {
      if (this.#fd >= 0) native().closeFd(this.#fd);
    } else if (!this.#kept) {
      native().tcDetach(this.ifindex, this.hook === "ingress", this.handle, this.priority);
    }
    this.#fd = -1;
  }

  /** Removes the attachment now (pinned or not) and releases the handle. */
  detach(): void {
    if (this.kind === "tcx") {
      if (this.#fd >= 0) native().linkDetach(this.#fd);
      if (this.#pinPath) this.unpin();
    } else {
      try {
        native().tcDetach(this.ifindex, this.hook === "ingress", this.handle, this.priority);
      } finally {
        if (this.#pinPath) this.unpin(); // the marker goes with the filter, or with its interface
      }
    }
    this.#kept = false;
    this.close();
  }
}

/** Attaches `program` (a tc program) to an interface hook. */
export function attachTc(
  program: Program,
  { ifindex, hook, mode = "auto", handle = 1, priority = 1 }: AttachOptions,
): Link {
  if (!Number.isInteger(ifindex) || ifindex <= 0) {
    throw bpfError("ERR_BPF_ARGUMENT", `ifindex must be a positive integer, got ${ifindex}`);
  }
  const tcx = mode === "tcx" || (mode === "auto" && probeFeatures().tcx);
  if (tcx) {
    const fd = native().linkCreateTcx(program.fd, ifindex, hook === "ingress");
    return new Link("tcx", fd, ifindex, hook);
  }
  const r = native().tcAttach(ifindex, hook === "ingress", program.fd, handle, priority);
  return new Link("legacy", -1, ifindex, hook, r.handle, r.priority, program);
}
