// Owns the public surface of policy validation: untrusted JSON values in, normalized model objects or issues out.

export {
  type ClusterNetworkPolicyValidationOptions,
  renderClusterNetworkPolicy,
  validateClusterNetworkPolicy,
} from "./cluster-network-policy.ts";
export { validateEndpoint } from "./endpoint.ts";
export type { Validated, ValidationIssue } from "./issues.ts";
export { jsonSchemas } from "./json-schemas.ts";
export { validateNamespace, validateNamespaceObject } from "./namespace.ts";
export { renderNetworkPolicy } from "./network-policy.render.ts";
export { type NetworkPolicyValidationOptions, validateNetworkPolicy } from "./network-policy.ts";
