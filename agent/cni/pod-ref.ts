// Owns naming the workload behind a CNI invocation (pure): which runtime asked, and the namespace
// and name of its endpoint. CRI runtimes (containerd) pass the pod's metadata in CNI_ARGS; podman
// passes only K8S_POD_NAME=<container name>.
import { createHash } from "node:crypto";
import type { Invocation } from "./request.ts";

export type RuntimeKind = "cri" | "podman";

export interface PodRef {
  runtime: RuntimeKind;
  namespace: string;
  name: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * An endpoint name for a runtime's name: lowercase DNS-1123 subdomain. A name that had to change
 * (podman allows `_` and capitals) gets a suffix from the container id, so two names that fold
 * alike stay apart.
 */
export function endpointName(raw: string, containerId: string): string {
  const folded = raw
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "")
    .slice(0, 200);
  if (folded === raw && folded !== "") return folded;
  const suffix = createHash("sha256").update(containerId).digest("hex").slice(0, 8);
  return folded === "" ? `ctr-${suffix}` : `${folded}-${suffix}`;
}

export function podRef(inv: Invocation): PodRef {
  const podNamespace = inv.args.K8S_POD_NAMESPACE;
  const podName = inv.args.K8S_POD_NAME ?? "";
  if (podNamespace !== undefined && podNamespace !== "") {
    return {
      runtime: "cri",
      namespace: DNS_LABEL.test(podNamespace) ? podNamespace : endpointName(podNamespace, inv.containerId),
      name: endpointName(podName, inv.containerId),
    };
  }
  return { runtime: "podman", namespace: inv.config.namespace, name: endpointName(podName, inv.containerId) };
}
