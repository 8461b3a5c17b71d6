// Owns the CRI client: drives containerd's RuntimeService over gRPC the way kubelet does
// (RunPodSandbox with metadata, labels and annotations; status; stop; remove), using the proto
// subset in agent/cni/runtimes/cri.proto (one copy, the agent's). Results are plain objects; the
// pod's netns path comes from the verbose status.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const PROTO = fileURLToPath(new URL("../../../agent/cni/runtimes/cri.proto", import.meta.url));
/** A generous per-call deadline: the first sandbox on a cold containerd is slow under load. */
const CALL_TIMEOUT_MS = 60_000;

export interface PodSpec {
  namespace: string;
  name: string;
  /** Defaults to a fresh UUID, as the API server would assign. */
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type SandboxState = "SANDBOX_READY" | "SANDBOX_NOTREADY";

export interface PodStatus {
  id: string;
  namespace: string;
  name: string;
  uid: string;
  state: SandboxState;
  /** The pod's IPv4 address from CNI ("" once the network is torn down). */
  ip: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Path of the pod's network namespace (usable with `nsenter --net=`), "" when stopped. */
  netns: string;
  /** PID of the sandbox (pause) process, 0 when stopped. */
  pid: number;
}

export interface CriPod {
  id: string;
  ip: string;
  netns: string;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  labels?: Record<string, string>;
}

// The decoded shapes (proto-loader with camelCase names, enums as strings, defaults filled in).
interface RawMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}
interface RawStatusResponse {
  status: {
    id: string;
    metadata: RawMetadata;
    state: SandboxState;
    network: { ip: string } | null;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  info: Record<string, string>;
}
interface RawPodSandbox {
  id: string;
  metadata: RawMetadata;
  state: SandboxState;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

type Unary = (
  req: unknown,
  meta: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: grpc.requestCallback<unknown>,
) => void;

function loadService(): grpc.ServiceClientConstructor {
  const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
  };
  return pkg.runtime.v1.RuntimeService;
}

/** containerd's verbose sandbox info: the sandbox pid and its spec's network namespace path. */
export function netnsFromInfo(info: Record<string, string>): { netns: string; pid: number } {
  if (!info.info) return { netns: "", pid: 0 };
  const parsed = JSON.parse(info.info) as {
    pid?: number;
    runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } };
  };
  const ns = parsed.runtimeSpec?.linux?.namespaces?.find((n) => n.type === "network");
  return { netns: ns?.path ?? "", pid: parsed.pid ?? 0 };
}

export class CriClient {
  readonly #client: grpc.Client;

  constructor(socket: string) {
    const Service = loadService();
    this.#client = new Service(`unix://${socket}`, grpc.credentials.createInsecure());
  }

  #call<T>(method: string, req: object): Promise<T> {
    const fn = (this.#client as unknown as Record<string, Unary>)[method]!.bind(this.#client);
    return new Promise<T>((resolve, reject) => {
      fn(req, new grpc.Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, res) => {
        if (err) reject(new Error(`CRI ${method} failed: ${err.message}`, { cause: err }));
        else resolve(res as T);
      });
    });
  }

  async version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    return this.#call("version", { version: "v1" });
  }

  /** RunPodSandbox with the config kubelet sends (pod network namespace), then its status. */
  async runPod(spec: PodSpec, logDirectory = ""): Promise<CriPod> {
    const { podSandboxId } = await this.#call<{ podSandboxId: string }>("runPodSandbox", {
      config: sandboxConfig(spec, logDirectory),
      runtimeHandler: "",
    });
    const status = await this.podStatus(podSandboxId);
    return { id: podSandboxId, ip: status.ip, netns: status.netns };
  }

  async podStatus(id: string): Promise<PodStatus> {
    const res = await this.#call<RawStatusResponse>("podSandboxStatus", { podSandboxId: id, verbose: true });
    const s = res.status;
    return {
      id: s.id,
      namespace: s.metadata.namespace,
      name: s.metadata.name,
      uid: s.metadata.uid,
      state: s.state,
      ip: s.network?.ip ?? "",
      labels: s.labels,
      annotations: s.annotations,
      ...netnsFromInfo(res.info),
    };
  }

  async listPods(labelSelector: Record<string, string> = {}): Promise<RawPodSandbox[]> {
    const res = await this.#call<{ items: RawPodSandbox[] }>("listPodSandbox", { filter: { labelSelector } });
    return res.items;
  }

  async stopPod(id: string): Promise<void> {
    await this.#call("stopPodSandbox", { podSandboxId: id });
  }

  async removePod(id: string): Promise<void> {
    await this.#call("removePodSandbox", { podSandboxId: id });
  }

  /** CreateContainer + StartContainer inside a sandbox created by `runPod` with the same spec. */
  async runContainer(podId: string, pod: PodSpec & { uid: string }, spec: ContainerSpec): Promise<string> {
    const { containerId } = await this.#call<{ containerId: string }>("createContainer", {
      podSandboxId: podId,
      config: {
        metadata: { name: spec.name, attempt: 0 },
        image: { image: spec.image },
        command: spec.command ?? [],
        args: spec.args ?? [],
        labels: spec.labels ?? {},
      },
      sandboxConfig: sandboxConfig(pod, ""),
    });
    await this.#call("startContainer", { containerId });
    return containerId;
  }

  async stopContainer(id: string, timeoutSeconds = 0): Promise<void> {
    await this.#call("stopContainer", { containerId: id, timeout: timeoutSeconds });
  }

  async removeContainer(id: string): Promise<void> {
    await this.#call("removeContainer", { containerId: id });
  }

  close(): void {
    this.#client.close();
  }
}

function sandboxConfig(spec: PodSpec, logDirectory: string) {
  return {
    metadata: {
      name: spec.name,
      uid: spec.uid ?? crypto.randomUUID(),
      namespace: spec.namespace,
      attempt: 0,
    },
    hostname: spec.name,
    logDirectory,
    labels: spec.labels ?? {},
    annotations: spec.annotations ?? {},
    linux: { securityContext: { namespaceOptions: { network: "POD", pid: "CONTAINER", ipc: "POD" } } },
  };
}
