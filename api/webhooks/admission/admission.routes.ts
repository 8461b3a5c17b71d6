// Owns POST /v1/admission/validate: a Kubernetes validating admission webhook for NetworkPolicy
// objects, so a cluster refuses a policy Palisade would refuse. Pure validation; nothing is stored.
import { Hono } from "hono";
import { readBody } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import { validateNetworkPolicy } from "../../policy/validation/index.ts";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  operation?: string;
  name?: string;
  namespace?: string;
  object?: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

/** Palisade's verdict on one admission request (pure). */
export function reviewAdmission(req: AdmissionRequest): AdmissionResponse {
  const kind = req.kind ?? {};
  if (kind.group !== "networking.k8s.io" || kind.kind !== "NetworkPolicy") {
    const what = `${kind.group || "core"}/${kind.version ?? "?"} ${kind.kind ?? "?"}`;
    return {
      uid: req.uid,
      allowed: true,
      warnings: [`palisade validates only networking.k8s.io NetworkPolicy objects, not ${what}`],
    };
  }
  if (req.operation !== "CREATE" && req.operation !== "UPDATE") return { uid: req.uid, allowed: true };
  // The API server may send server-side fields Palisade does not take (status); they carry no policy.
  const object = isRecord(req.object) ? { ...req.object } : req.object;
  if (isRecord(object)) delete object.status;
  const result = validateNetworkPolicy(object, {
    requireTypeMeta: true,
    namespace: req.namespace || undefined,
    name: req.name || undefined,
  });
  if (result.ok) return { uid: req.uid, allowed: true };
  const lines = result.issues.slice(0, 20).map((i) => `${i.path || "(object)"}: ${i.message}`);
  const more =
    result.issues.length > lines.length ? [`... and ${result.issues.length - lines.length} more`] : [];
  return {
    uid: req.uid,
    allowed: false,
    status: {
      code: 422,
      reason: "Invalid",
      message: `Palisade refuses this NetworkPolicy: ${[...lines, ...more].join("; ")}`,
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function admissionRoutes() {
  const app = new Hono();
  app.post("/validate", async (c) => {
    const review = await readBody(c);
    const request = isRecord(review) ? review.request : undefined;
    if (
      !isRecord(review) ||
      review.kind !== "AdmissionReview" ||
      review.apiVersion !== ADMISSION_API_VERSION
    ) {
      throw new ApiError(
        "admission.invalid_review",
        `the body must be an ${ADMISSION_API_VERSION} AdmissionReview`,
      );
    }
    if (!isRecord(request) || typeof request.uid !== "string" || request.uid === "") {
      throw new ApiError("admission.invalid_review", "request.uid is required");
    }
    const response = reviewAdmission(request as unknown as AdmissionRequest);
    return c.json({ apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response });
  });
  return app;
}
