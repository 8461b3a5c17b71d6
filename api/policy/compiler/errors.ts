// Owns the compiler's error type: a stable code, a message, and details for the API to show.

/** The codes the compiler raises (each is declared, with its status, in api/http/error-codes.ts). */
export type EngineErrorCode =
  | "namespace.not_empty"
  | "namespace.not_found"
  | "endpoint.ip_conflict"
  | "endpoint.interface_conflict"
  | "capacity.exceeded";

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "EngineError";
  }
}
