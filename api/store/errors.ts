// Owns the errors a write can end in that the caller can fix: an API error (its code declares the
// status) raised by the store, keeping the compiler's error as its cause.

import type { NotFoundKind } from "../http/error-codes.ts";
import { ApiError, type ApiErrorOptions } from "../http/errors.ts";
import type { EngineError } from "../policy/compiler/errors.ts";

export class StoreError extends ApiError {
  constructor(...args: ConstructorParameters<typeof ApiError>) {
    super(...args);
    this.name = "StoreError";
  }

  static notFound(
    kind: NotFoundKind & ("namespace" | "networkpolicy" | "endpoint" | "clusternetworkpolicy"),
    name: string,
  ): StoreError {
    return new StoreError(`${kind}.not_found`, `${kind} ${name} does not exist`, { details: { kind, name } });
  }

  static fromEngine(err: EngineError): StoreError {
    const opts: ApiErrorOptions = { details: err.details, cause: err };
    return new StoreError(err.code, err.message, opts);
  }
}
