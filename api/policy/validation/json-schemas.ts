// Owns the JSON Schemas (draft 2020-12) published in OpenAPI, generated from the zod schemas that validate.

import { z } from "zod";
import { clusterNetworkPolicyObjectSchema } from "./cluster-network-policy.schema.ts";
import { endpointBodySchema } from "./endpoint.ts";
import { namespaceBodySchema, namespaceObjectSchema } from "./namespace.ts";
import { networkPolicyObjectSchema } from "./network-policy.schema.ts";

/**
 * The input side of each schema: defaults make fields optional. Kubernetes rules that JSON Schema
 * cannot express (except inside cidr, endPort >= port, one address per family, ...) are checked
 * by the validators only; patterns and lengths are documented here as well.
 */
function toJsonSchema(schema: z.ZodType): object {
  return z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
}

export const jsonSchemas: Record<
  "NetworkPolicy" | "ClusterNetworkPolicy" | "Namespace" | "NamespaceBody" | "EndpointBody",
  object
> = {
  NetworkPolicy: toJsonSchema(networkPolicyObjectSchema),
  ClusterNetworkPolicy: toJsonSchema(clusterNetworkPolicyObjectSchema),
  Namespace: toJsonSchema(namespaceObjectSchema),
  NamespaceBody: toJsonSchema(namespaceBodySchema),
  EndpointBody: toJsonSchema(endpointBodySchema),
};
