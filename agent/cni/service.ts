// Owns the CNI semantics of the agent: ADD registers the pod's endpoint with the control plane and
// answers only once its programs are attached and the revision holding it is applied here; DEL
// removes it; CHECK verifies record and attachment. The pod's labels come later from its runtime
// (see labels.ts): until then the endpoint is deny-all both ways.

import type { Log } from "../../lib/log.ts";
import type { CniAnswer, CniRequest } from "../../wire/cni-socket.ts";
import type { EndpointsApi, StoredEndpoint } from "./endpoints-client.ts";
import { CNI_CODE, CniError, errorAnswer } from "./errors.ts";
import { type PodRef, podRef } from "./pod-ref.ts";
import { portsOf } from "./ports.ts";
import { readAttachment } from "./prev-result.ts";
import { type Invocation, readInvocation, SUPPORTED_VERSIONS } from "./request.ts";

export interface Enforcement {
  /** Resolves once revision >= `revision` is applied and `iface` carries its programs. */
  waitEnforced(revision: number, iface: string, timeoutMs: number): Promise<void>;
  /** Whether `iface` carries its programs now. */
  enforced(iface: string): boolean;
}

export interface CniServiceOptions {
  node: string;
  api: EndpointsApi;
  enforcement: Enforcement;
  isBridge: (name: string) => boolean;
  /** Told after a successful ADD: finds the pod's labels and writes them. */
  onAdded: (ref: PodRef, endpoint: StoredEndpoint) => void;
  /** Told when a DEL starts: whatever still works on the container must stop writing it. */
  onDeleting: (containerId: string) => void;
  log: Log;
  /** How long ADD waits for enforcement before failing with "try again later". */
  enforceTimeoutMs?: number;
}

export class CniService {
  /** Containers with an ADD or DEL under way: the garbage collector leaves them alone. */
  readonly busy = new Set<string>();

  constructor(private readonly o: CniServiceOptions) {}

  /** Answers one plugin request; never throws. */
  async handle(req: CniRequest): Promise<CniAnswer> {
    let inv: Invocation | undefined;
    const started = performance.now();
    try {
      inv = readInvocation(req);
      const stdout = await this.run(inv);
      this.o.log({
        level: "info",
        msg: "cni",
        command: inv.command,
        containerId: inv.containerId.slice(0, 12),
        ms: Math.round(performance.now() - started),
      });
      return { exitCode: 0, stdout };
    } catch (e) {
      const err = e instanceof CniError ? e : new CniError(CNI_CODE.ioFailure, "the agent failed", String(e));
      this.o.log({
        level: "warn",
        msg: "cni failed",
        command: inv?.command ?? req.env.CNI_COMMAND,
        containerId: inv?.containerId.slice(0, 12),
        code: err.code,
        error: err.message,
        details: err.details,
      });
      return errorAnswer(err, inv?.config.cniVersion);
    }
  }

  private async run(inv: Invocation): Promise<string> {
    switch (inv.command) {
      case "VERSION":
        return JSON.stringify({ cniVersion: "1.0.0", supportedVersions: SUPPORTED_VERSIONS });
      case "ADD":
        return this.guarded(inv, () => this.add(inv));
      case "DEL":
        return this.guarded(inv, () => this.del(inv));
      case "CHECK":
        return this.check(inv);
      case "STATUS":
      case "GC":
        // GC's valid-attachments cannot tell one runtime's pods from another's here; the agent's own
        // liveness sweep (gc.ts) collects pods that went away.
        return "";
    }
  }

  private async guarded(inv: Invocation, run: () => Promise<string>): Promise<string> {
    this.busy.add(inv.containerId);
    try {
      return await run();
    } finally {
      this.busy.delete(inv.containerId);
    }
  }

  private async add(inv: Invocation): Promise<string> {
    const attachment = readAttachment(inv.config.prevResult, inv.ifName, this.o.isBridge);
    const ref = podRef(inv);
    // CRI runtimes pass the pod's annotations when the config declares the capability.
    const annotations = inv.config.runtimeConfig?.["io.kubernetes.cri.pod-annotations"];
    const ports = portsOf(annotations as Record<string, unknown> | undefined, (error) =>
      this.o.log({
        level: "warn",
        msg: "cni ports ignored",
        containerId: inv.containerId.slice(0, 12),
        error,
      }),
    );
    const body = {
      labels: {},
      node: this.o.node,
      interface: attachment.hostInterface,
      ips: attachment.ips,
      workload: { runtime: ref.runtime, containerId: inv.containerId, netns: inv.netns },
      // Who the pod is comes from its runtime after ADD: deny-all until then.
      labelsPending: true,
      ...(ports ? { ports } : {}),
    };
    const { revision } = await this.o.api.put(ref.namespace, ref.name, body);
    await this.o.enforcement.waitEnforced(
      revision,
      attachment.hostInterface,
      this.o.enforceTimeoutMs ?? 30_000,
    );
    this.o.onAdded(ref, { ...body, namespace: ref.namespace, name: ref.name });
    return JSON.stringify(inv.config.prevResult);
  }

  /** The endpoint this node holds for a container, wherever its namespace went. */
  private async find(containerId: string): Promise<StoredEndpoint | undefined> {
    const own = await this.o.api.listOwn();
    return own.find((e) => e.managedBy === `node/${this.o.node}` && e.workload?.containerId === containerId);
  }

  private async del(inv: Invocation): Promise<string> {
    this.o.onDeleting(inv.containerId);
    try {
      // DEL of an unknown container succeeds (CNI spec): there is nothing left to remove.
      const found = await this.find(inv.containerId);
      if (found) await this.o.api.delete(found.namespace, found.name, inv.containerId);
    } catch (e) {
      if (!(e instanceof CniError && e.code === CNI_CODE.tryAgainLater)) throw e;
      // The control plane is away: the pod goes anyway (a DEL that fails blocks its removal); the
      // collector deletes the record once it answers again, since the pod's veth is gone by then.
      this.o.log({ level: "warn", msg: "cni DEL left the endpoint to the collector", error: e.message });
    }
    return "";
  }

  private async check(inv: Invocation): Promise<string> {
    const attachment = readAttachment(inv.config.prevResult, inv.ifName, this.o.isBridge);
    const found = await this.find(inv.containerId);
    if (!found) {
      throw new CniError(CNI_CODE.notEnforced, `no palisade endpoint for container ${inv.containerId}`);
    }
    if (found.interface !== attachment.hostInterface) {
      throw new CniError(
        CNI_CODE.notEnforced,
        `endpoint ${found.namespace}/${found.name} is on ${found.interface}, the pod on ${attachment.hostInterface}`,
      );
    }
    if (!this.o.enforcement.enforced(found.interface)) {
      throw new CniError(CNI_CODE.notEnforced, `${found.interface} does not carry palisade's programs`);
    }
    return "";
  }
}
