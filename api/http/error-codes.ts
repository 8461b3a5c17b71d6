// Owns the catalogue of every error code the API answers: its HTTP status and what it means. A
// throw site names only the code, so one code always answers with one status, and the README's
// error table is checked against this list (error-codes.test.ts).

export interface ErrorCodeInfo {
  status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 504;
  meaning: string;
}

export const ERROR_CODES = {
  // Any route
  "request.unreadable": { status: 400, meaning: "the request body could not be read" },
  "request.empty_body": { status: 400, meaning: "the request body is empty" },
  "request.invalid_json": { status: 400, meaning: "the body is not valid JSON" },
  "request.invalid_yaml": { status: 400, meaning: "the body is not valid YAML" },
  "request.invalid_body": { status: 400, meaning: "the body holds more or fewer documents than one" },
  "request.too_deep": { status: 400, meaning: "the body nests arrays and objects deeper than 100 levels" },
  "request.too_large": { status: 413, meaning: "the body exceeds 4 MiB" },
  "request.yaml_busy": {
    status: 429,
    meaning: "more than 16 Mi characters of large YAML bodies already wait for the parser; retry later",
  },
  "request.yaml_parser_failed": {
    status: 500,
    meaning: "the YAML parser's worker failed or timed out on this body (the next body gets a new one)",
  },
  "route.not_found": { status: 404, meaning: "no route (or stream) for this method and path" },
  internal: { status: 500, meaning: "a server fault; details are in the server log" },
  // Authentication and tokens
  "auth.missing_token": { status: 401, meaning: "the route needs an `Authorization: Bearer` header" },
  "auth.invalid_token": { status: 401, meaning: "the bearer token is unknown, malformed or revoked" },
  "auth.invalid_credential": { status: 401, meaning: "the agent stream needs a valid node credential" },
  "auth.forbidden": { status: 403, meaning: "the token's scope does not allow this" },
  "console.signed_out": {
    status: 401,
    meaning: "the web console's session is missing, expired or signed out",
  },
  "console.cross_origin": {
    status: 403,
    meaning: "a console form post without this server's Origin or the session's CSRF token",
  },
  "token.invalid": { status: 422, meaning: "invalid token request body" },
  "token.not_found": { status: 404, meaning: "no live token with this id" },
  // Objects
  "namespace.invalid": { status: 422, meaning: "invalid Namespace" },
  "namespace.not_found": { status: 404, meaning: "the namespace does not exist" },
  "namespace.not_empty": { status: 409, meaning: "the namespace still holds endpoints or policies" },
  "policy.invalid": { status: 422, meaning: "invalid NetworkPolicy" },
  "networkpolicy.not_found": { status: 404, meaning: "the NetworkPolicy does not exist" },
  "clusternetworkpolicy.invalid": { status: 422, meaning: "invalid ClusterNetworkPolicy" },
  "clusternetworkpolicy.not_found": { status: 404, meaning: "the ClusterNetworkPolicy does not exist" },
  "endpoint.invalid": { status: 422, meaning: "invalid endpoint" },
  "endpoint.not_found": { status: 404, meaning: "the endpoint does not exist" },
  "endpoint.ip_conflict": { status: 409, meaning: "another endpoint already uses the address" },
  "endpoint.interface_conflict": {
    status: 409,
    meaning: "another endpoint already uses the interface on that node",
  },
  "endpoint.managed": {
    status: 409,
    meaning: "another writer (a node or a token) manages the endpoint; admins may add `?force=true`",
  },
  "endpoint.container_changed": {
    status: 409,
    meaning: "a delete for one container found the endpoint held by another container; nothing deleted",
  },
  "endpoint.no_address": { status: 404, meaning: "the endpoint has no address to evaluate" },
  "capacity.exceeded": { status: 409, meaning: "the change needs more BPF map entries than a map holds" },
  // Bundles and evaluation
  "apply.invalid": { status: 422, meaning: "a document of the bundle is invalid (issues name `[i].path`)" },
  "apply.empty": { status: 422, meaning: "the bundle holds no documents" },
  "apply.too_many_documents": { status: 413, meaning: "the bundle holds more than 5,000 documents" },
  "evaluate.invalid": { status: 422, meaning: "invalid evaluate request" },
  // Enrollment and nodes
  "enrollment_token.invalid": { status: 422, meaning: "invalid enrollment token request" },
  "enrollment_token.not_found": { status: 404, meaning: "no enrollment token with this id" },
  "enroll.invalid": { status: 422, meaning: "invalid enroll request" },
  "enrollment.token_invalid": { status: 401, meaning: "the enrollment token is unknown or malformed" },
  "enrollment.token_revoked": { status: 401, meaning: "the enrollment token was revoked" },
  "enrollment.token_expired": { status: 401, meaning: "the enrollment token has expired" },
  "enrollment.token_used_up": { status: 401, meaning: "the enrollment token has no uses left" },
  "enrollment.node_exists": { status: 409, meaning: "the node is enrolled already" },
  "enrollment.rate_limited": { status: 429, meaning: "too many enrollment attempts; retry later" },
  "node.not_found": { status: 404, meaning: "the node is not enrolled" },
  "sync_wait.invalid": { status: 422, meaning: "invalid `/v1/sync/wait` query" },
  "flows_query.invalid": { status: 422, meaning: "invalid `/v1/flows` filter (issues name the parameter)" },
  "sync.timeout": { status: 504, meaning: "nodes did not apply the revision in time (`details.lagging`)" },
  // Outbound webhooks
  "webhook.invalid": { status: 422, meaning: "invalid webhook subscription (issues name the field)" },
  "webhook.destination_refused": {
    status: 422,
    meaning: "the URL's host resolves to an address that is not allowed",
  },
  "webhook.destination_unresolvable": { status: 422, meaning: "the URL's host does not resolve" },
  "webhook.not_found": { status: 404, meaning: "no webhook subscription with this id" },
  "webhook.delivery_not_found": { status: 404, meaning: "no delivery with this id" },
  "webhook.delivery_pending": {
    status: 409,
    meaning: "redelivery of a delivery still pending or in flight",
  },
  "webhook.disabled": { status: 409, meaning: "redelivery to a disabled subscription" },
  "rotate_secret.invalid": { status: 422, meaning: "invalid `graceSeconds`" },
  "deliveries_query.invalid": { status: 422, meaning: "invalid delivery log query parameters" },
  // Inbound hooks and admission
  "webhook_receiver.invalid": { status: 422, meaning: "invalid webhook receiver body" },
  "webhook_receiver.not_found": { status: 404, meaning: "no webhook receiver with this id" },
  "hook.receiver_not_found": { status: 404, meaning: "`POST /v1/hooks/{id}` of an unknown receiver" },
  "hook.headers_missing": { status: 400, meaning: "a signature header is missing" },
  "hook.id_invalid": { status: 400, meaning: "message id longer than 256 characters" },
  "hook.timestamp_invalid": { status: 400, meaning: "`webhook-timestamp` is not Unix seconds" },
  "hook.timestamp_stale": { status: 401, meaning: "`webhook-timestamp` more than 5 minutes off" },
  "hook.signature_invalid": { status: 401, meaning: "no signature matches" },
  "hook.id_reused": { status: 409, meaning: "a seen message id with another body" },
  // Issue 10 section 4: bundles are ordered by a signed generation (replays under a new id refused).
  "hook.generation_stale": {
    status: 409,
    meaning: "the bundle is not newer than the last one the receiver applied",
  },
  "hook.generation_missing": {
    status: 422,
    meaning: "the bundle lacks the `palisade.dev/generation` it needs",
  },
  "hook.body_too_large": { status: 413, meaning: "hook body over 1 MiB" },
  "hook.too_many_documents": { status: 413, meaning: "more than 5,000 documents" },
  "hook.invalid_body": { status: 400, meaning: "unparsable or empty body (`details.cause` names why)" },
  "hook.invalid": { status: 422, meaning: "a document of the bundle is invalid" },
  "hook.empty": { status: 422, meaning: "the bundle holds no documents" },
  "admission.invalid_review": {
    status: 400,
    meaning: "the body is no `admission.k8s.io/v1` AdmissionReview",
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The kinds whose `<kind>.invalid` code exists (what ApiError.invalid accepts). */
export type InvalidKind = ErrorCode extends infer C ? (C extends `${infer K}.invalid` ? K : never) : never;

/** The kinds whose `<kind>.not_found` code exists. */
export type NotFoundKind = ErrorCode extends infer C ? (C extends `${infer K}.not_found` ? K : never) : never;

export function statusOf(code: ErrorCode): ErrorCodeInfo["status"] {
  return ERROR_CODES[code].status;
}
