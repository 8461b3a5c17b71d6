// Owns reading a policy bundle from a request (POST /v1/apply and signed hooks alike): the
// documents, the size bound, validation into store writes, and the errors, coded per route.
import type { Context } from "hono";
import { readDocuments } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import type { ObjectWrite } from "../policy/compiler/object-change.ts";
import { bundleToWrites } from "./bundle.ts";

export const MAX_BUNDLE_DOCUMENTS = 5_000;

export interface IntakeOptions {
  /** First part of every error code: `apply.too_many_documents`, `hook.invalid`, ... */
  scope: "apply" | "hook";
  /**
   * Rewrites an unreadable body (bad JSON or YAML, empty): a hook answers those with its own code,
   * since the sender, not the client library, is at fault. Default: the body reader's error.
   */
  onUnreadable?: (err: ApiError) => ApiError;
}

/** The request's bundle as store writes (namespaces first); throws the route's ApiError otherwise. */
export async function readBundle(c: Context, opts: IntakeOptions): Promise<ObjectWrite[]> {
  return (await readBundleDocuments(c, opts)).writes;
}

/** As readBundle, with the documents as parsed too (a hook reads the bundle's generation from them). */
export async function readBundleDocuments(
  c: Context,
  { scope, onUnreadable }: IntakeOptions,
): Promise<{ docs: unknown[]; writes: ObjectWrite[] }> {
  let docs: unknown[];
  try {
    docs = await readDocuments(c, { yaml: true });
  } catch (err) {
    // Only the sender's faults (400s); the YAML parser's own failure or a full queue stays as it is.
    if (onUnreadable && err instanceof ApiError && err.status === 400) throw onUnreadable(err);
    throw err;
  }
  if (docs.length > MAX_BUNDLE_DOCUMENTS) {
    throw new ApiError(
      `${scope}.too_many_documents`,
      `a bundle holds at most ${MAX_BUNDLE_DOCUMENTS} documents, got ${docs.length}`,
    );
  }
  const { writes, issues } = bundleToWrites(docs);
  if (issues.length > 0) throw ApiError.invalid(scope, issues);
  if (writes.length === 0) throw new ApiError(`${scope}.empty`, "the bundle holds no documents");
  return { docs, writes };
}
