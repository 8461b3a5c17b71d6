// Owns GET /openapi.json: every route, its body schema (generated from the schemas that validate)
// and the error shape.
import { z } from "zod";
import { enrollRequestSchema } from "../wire/enroll.ts";
import { createTokenSchema } from "./auth/tokens.routes.ts";
import { createEnrollmentTokenSchema } from "./enrollment/enrollment.routes.ts";
import { evaluateRequestSchema } from "./evaluate/evaluate.ts";
import { jsonSchemas } from "./policy/validation/index.ts";
import { createReceiverSchema } from "./webhooks/inbound/receivers.routes.ts";
import {
  createWebhookSchema,
  rotateSchema,
  updateWebhookSchema,
} from "./webhooks/outbound/webhooks.routes.ts";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ "application/json": { schema } });
const errors = {
  "400": { description: "Unparsable body", content: json(ref("Error")) },
  "401": { description: "Missing or invalid token", content: json(ref("Error")) },
  "403": { description: "Token scope does not allow the call", content: json(ref("Error")) },
  "404": { description: "Not found", content: json(ref("Error")) },
  "409": {
    description: "Conflicts with stored state (address or interface in use, capacity)",
    content: json(ref("Error")),
  },
  "422": {
    description: "Invalid object: every issue with path, rule and value",
    content: json(ref("Error")),
  },
};

function op(summary: string, body?: object, extra: Record<string, unknown> = {}) {
  return {
    summary,
    security: [{ bearer: [] }],
    ...(body ? { requestBody: { required: true, content: body } } : {}),
    responses: { "200": { description: "OK" }, ...errors },
    ...extra,
  };
}

/** A web console page (HTML, api/ui/): its session cookie, not a bearer token, authorizes it. */
function page(summary: string, method: "get" | "post" = "get") {
  const signedOut = method === "get" ? "to the sign-in page when signed out" : "to the next page";
  return {
    summary,
    tags: ["console"],
    security: [{ consoleSession: [] }],
    responses: { "200": { description: "HTML page" }, "303": { description: signedOut } },
  };
}

export function openApiDocument(): object {
  const policyBody = { ...json(ref("NetworkPolicy")), "application/yaml": { schema: ref("NetworkPolicy") } };
  const clusterPolicyBody = {
    ...json(ref("ClusterNetworkPolicy")),
    "application/yaml": { schema: ref("ClusterNetworkPolicy") },
  };
  return {
    openapi: "3.1.0",
    info: { title: "Palisade control plane", version: "0.1.0" },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        consoleSession: { type: "apiKey", in: "cookie", name: "palisade_console" },
      },
      schemas: {
        ...jsonSchemas,
        EvaluateRequest: z.toJSONSchema(evaluateRequestSchema, { io: "input" }),
        CreateTokenRequest: z.toJSONSchema(createTokenSchema, { io: "input" }),
        CreateEnrollmentTokenRequest: z.toJSONSchema(createEnrollmentTokenSchema, { io: "input" }),
        EnrollRequest: z.toJSONSchema(enrollRequestSchema, { io: "input" }),
        CreateWebhookRequest: z.toJSONSchema(createWebhookSchema, { io: "input" }),
        UpdateWebhookRequest: z.toJSONSchema(updateWebhookSchema, { io: "input" }),
        RotateWebhookSecretRequest: z.toJSONSchema(rotateSchema, { io: "input" }),
        CreateReceiverRequest: z.toJSONSchema(createReceiverSchema, { io: "input" }),
        Error: {
          type: "object",
          properties: {
            error: {
              type: "object",
              required: ["code", "message", "issues"],
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                issues: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      path: { type: "string" },
                      rule: { type: "string" },
                      message: { type: "string" },
                      value: {},
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    paths: {
      "/v1/namespaces": { get: op("List namespaces") },
      "/v1/namespaces/{name}": {
        put: op("Create or replace a namespace", json(ref("NamespaceBody"))),
        get: op("Get a namespace"),
        delete: op("Delete a namespace and everything in it"),
      },
      "/v1/namespaces/{ns}/endpoints": { get: op("List endpoints of a namespace") },
      "/v1/namespaces/{ns}/endpoints/{name}": {
        put: op(
          "Create or replace an endpoint (also by the node's own credential, for its node; ?force=true overrides endpoint.managed)",
          json(ref("EndpointBody")),
        ),
        get: op("Get an endpoint"),
        delete: op(
          "Delete an endpoint (?force=true overrides endpoint.managed; ?containerId=ID deletes only while it belongs to that container)",
        ),
      },
      "/v1/namespaces/{ns}/networkpolicies": { get: op("List network policies of a namespace") },
      "/v1/namespaces/{ns}/networkpolicies/{name}": {
        put: op("Create or replace a Kubernetes NetworkPolicy (JSON or YAML)", policyBody),
        get: op("Get a network policy (?submitted=true adds the object as submitted)"),
        delete: op("Delete a network policy"),
      },
      "/v1/clusternetworkpolicies": { get: op("List ClusterNetworkPolicies") },
      "/v1/clusternetworkpolicies/{name}": {
        put: op(
          "Create or replace a policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy (JSON or YAML)",
          clusterPolicyBody,
        ),
        get: op("Get a ClusterNetworkPolicy (?submitted=true adds the object as submitted)"),
        delete: op("Delete a ClusterNetworkPolicy"),
      },
      "/v1/apply": {
        post: op("Apply a bundle (multi-document YAML or a JSON list) all or nothing, as one revision", {
          "application/json": { schema: { type: "array", items: {} } },
          "application/yaml": { schema: {} },
        }),
      },
      "/v1/evaluate": {
        post: op(
          "What-if: allow or deny for a flow, with the deciding policy and rule",
          json(ref("EvaluateRequest")),
        ),
      },
      "/v1/revision": { get: op("The current revision") },
      "/v1/tokens": {
        get: op("List API tokens (admin)"),
        post: op("Create an API token; the secret is shown once (admin)", json(ref("CreateTokenRequest"))),
      },
      "/v1/tokens/{id}": { delete: op("Revoke an API token (admin)") },
      "/v1/enrollment-tokens": {
        get: op("List enrollment tokens, without secrets (admin)"),
        post: op(
          "Create an enrollment token; the secret is shown once (admin)",
          json(ref("CreateEnrollmentTokenRequest")),
        ),
      },
      "/v1/enrollment-tokens/{id}": { delete: op("Revoke an enrollment token (admin)") },
      "/v1/enroll": {
        post: {
          ...op(
            "Trade an enrollment token for a node credential (no bearer token)",
            json(ref("EnrollRequest")),
          ),
          security: [],
        },
      },
      "/v1/nodes": { get: op("Enrolled nodes and their realization status") },
      "/v1/nodes/{name}": {
        get: op("One node's status"),
        delete: op("Revoke a node's credential and close its stream"),
      },
      "/v1/nodes/{name}/endpoints": {
        get: op("Every endpoint placed on the node, all namespaces (also by the node's own credential)"),
      },
      "/v1/sync/wait": {
        get: op(
          "Wait until every connected node (or ?node=) applied ?revision=, up to ?timeoutSeconds=; 504 names the nodes that lag",
          undefined,
          {
            responses: {
              "200": {
                description:
                  "applied; a fleet-wide answer lists `disconnected` nodes behind the revision that host endpoints (wait on each with ?node=)",
              },
              "504": { description: "timed out", content: json(ref("Error")) },
            },
          },
        ),
      },
      "/v1/flows": {
        get: op(
          "Recent flows (new connections and drops, with names) from every connected agent, merged by time, oldest first; filters ?namespace=&pod=&from=NS/POD&to=NS/POD&verdict=allowed|dropped|audit&protocol=&port=&node=&since=ISO|5m&limit= (default 100, max 10,000); `nodes.missing` names nodes that did not answer (timeout, disconnected, error). ?follow=true: a text/event-stream of `event: flow` records (replay of the last ?limit=, default 20, then new ones; `: keepalive` every 15 s). Read scope",
          undefined,
          {
            responses: {
              "200": { description: "{flows, nodes: {answered, missing}} or an event stream" },
              "422": {
                description: "a filter is invalid (flows_query.invalid)",
                content: json(ref("Error")),
              },
            },
          },
        ),
      },
      "/v1/agent/stream": {
        get: op(
          "WebSocket upgrade for agents (node credential as bearer token); messages in wire/sync.ts",
          undefined,
          {
            responses: {
              "101": { description: "switching protocols" },
              "401": { description: "no valid node credential" },
            },
          },
        ),
      },
      "/v1/webhooks": {
        get: op("List webhook subscriptions (admin)"),
        post: op(
          "Create a subscription; the signing secret is shown once (admin)",
          json(ref("CreateWebhookRequest")),
        ),
      },
      "/v1/webhooks/{id}": {
        get: op("One subscription (admin)"),
        patch: op("Update a subscription (admin)", json(ref("UpdateWebhookRequest"))),
        delete: op("Delete a subscription (admin)"),
      },
      "/v1/webhooks/{id}/rotate-secret": {
        post: op(
          "Rotate the signing secret; the old one signs too during the grace period (admin)",
          json(ref("RotateWebhookSecretRequest")),
        ),
      },
      "/v1/webhooks/{id}/deliveries": { get: op("Delivery log of a subscription (admin)") },
      "/v1/webhooks/{id}/deliveries/{deliveryId}": { get: op("One delivery with its attempts (admin)") },
      "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver": { post: op("Deliver an event again (admin)") },
      "/v1/webhook-receivers": {
        get: op("List inbound receivers (admin)"),
        post: {
          ...op("Create an inbound receiver; its secret is shown once (admin)"),
          // Optional: no body or an empty one means {} (the defaults).
          requestBody: { required: false, content: json(ref("CreateReceiverRequest")) },
        },
      },
      "/v1/webhook-receivers/{id}": {
        get: op("One receiver (admin)"),
        delete: op("Delete a receiver (admin)"),
      },
      "/v1/hooks/{receiverId}": {
        post: {
          ...op(
            "Inbound signed policy bundle (Standard Webhooks or X-Hub-Signature-256), applied all or nothing",
            {
              "application/json": { schema: { type: "array", items: {} } },
              "application/yaml": { schema: {} },
            },
          ),
          security: [],
        },
      },
      "/v1/admission/validate": {
        post: op(
          "Kubernetes admission.k8s.io/v1 AdmissionReview for NetworkPolicy objects (read scope is enough)",
          json({ type: "object" }),
        ),
      },
      "/healthz": { get: { summary: "Liveness", responses: { "200": { description: "OK" } } } },
      "/readyz": {
        get: { summary: "Readiness (database reachable)", responses: { "200": { description: "OK" } } },
      },
      "/metrics": { get: op("Prometheus metrics") },
      "/openapi.json": { get: op("This document") },
      "/ui": { get: page("Console: overview (nodes, revision, recent nacks)") },
      "/ui/sign-in": {
        get: { ...page("Console: the sign-in form"), security: [] },
        post: { ...page("Console: sign in with an API token (form: token, next)", "post"), security: [] },
      },
      "/ui/sign-out": { post: page("Console: sign out (form: csrf); ends the session server-side", "post") },
      "/ui/static/{file}": { get: { ...page("Console: its script and stylesheet"), security: [] } },
      "/ui/namespaces": { get: page("Console: namespaces") },
      "/ui/namespaces/{ns}": {
        get: page("Console: a namespace's endpoints and the policies selecting each"),
      },
      "/ui/namespaces/{ns}/policies/{name}": {
        get: page("Console: a policy's YAML, selection, peers, counts"),
      },
      "/ui/flows": { get: page("Console: live flows (the flow API's filters)") },
      "/ui/matrix": { get: page("Console: reachability matrix (namespace..., protocol, port)") },
      "/ui/api/flows": {
        get: {
          ...page("Console: GET /v1/flows relayed with the session's token (for the console's own script)"),
          responses: { "200": { description: "as GET /v1/flows" }, ...errors },
        },
      },
    },
  };
}
