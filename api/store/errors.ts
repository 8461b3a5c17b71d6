// Owns the errors a write can end in that the caller can fix: a stable code and an HTTP status.
import type { EngineError } from "../policy/compiler/errors.ts";

export class StoreError extends Error {
  constructor(
    readonly code: string,
    readonly status: 404 | 409 | 422,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "StoreError";
  }

  static notFound(kind: string, name: string): StoreError {
    return new StoreError(`${kind}.not_found`, 404, `${kind} ${name} does not exist`, { kind, name });
  }

  static fromEngine(err: EngineError): StoreError {
    const status = err.code === "namespace.not_found" ? 404 : 409;
    return new StoreError(err.code, status, err.message, err.details);
  }
}
