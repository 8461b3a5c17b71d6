// Owns the compiler's error type: a stable code, a message, and details for the API to show.
export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "EngineError";
  }
}
