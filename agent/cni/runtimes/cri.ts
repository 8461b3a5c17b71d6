// Owns asking a CRI runtime (containerd) about a pod sandbox: PodSandboxStatus over its gRPC
// socket gives the pod's labels and whether it is still ready.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Description, RuntimeAdapter } from "../labels.ts";

/** containerd's default socket, where it serves the CRI. */
export const DEFAULT_CRI_SOCKET = "/run/containerd/containerd.sock";

/** Label prefixes the kubelet and containerd add to sandboxes: they are not the pod's labels. */
const RUNTIME_LABEL_PREFIXES = ["io.kubernetes.", "io.cri-containerd."];

interface SandboxStatus {
  status?: {
    state?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    metadata?: { namespace?: string };
  };
}

type StatusClient = grpc.Client & {
  PodSandboxStatus(
    req: { pod_sandbox_id: string },
    opts: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, res?: SandboxStatus) => void,
  ): void;
};

let service: grpc.ServiceClientConstructor | undefined;

function runtimeService(): grpc.ServiceClientConstructor {
  if (!service) {
    const def = protoLoader.loadSync(fileURLToPath(new URL("./cri.proto", import.meta.url)), {
      keepCase: true,
      enums: String,
      longs: String,
      defaults: true,
    });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
    };
    service = pkg.runtime.v1.RuntimeService;
  }
  return service;
}

export function criAdapter(
  socket = DEFAULT_CRI_SOCKET,
  timeoutMs = 5_000,
): RuntimeAdapter & { close(): void } {
  let client: StatusClient | undefined;
  const connect = () => {
    client ??= new (runtimeService())(
      `unix://${socket}`,
      grpc.credentials.createInsecure(),
    ) as unknown as StatusClient;
    return client;
  };
  return {
    describe: (sandboxId) =>
      new Promise<Description>((resolve) => {
        connect().PodSandboxStatus(
          { pod_sandbox_id: sandboxId },
          { deadline: Date.now() + timeoutMs },
          (err, res) => {
            // NotFound right after ADD: the runtime records the sandbox once RunPodSandbox returns.
            if (err || !res?.status) return resolve(null);
            if (res.status.state === "SANDBOX_NOTREADY") return resolve({ state: "gone" });
            const labels = Object.fromEntries(
              Object.entries(res.status.labels ?? {}).filter(
                ([k]) => !RUNTIME_LABEL_PREFIXES.some((p) => k.startsWith(p)),
              ),
            );
            const namespace = res.status.metadata?.namespace;
            resolve({
              state: "running",
              labels,
              annotations: res.status.annotations ?? {},
              ...(namespace ? { namespace } : {}),
            });
          },
        );
      }),
    close: () => client?.close(),
  };
}
