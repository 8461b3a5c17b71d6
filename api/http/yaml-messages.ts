// Owns the messages between the event loop's thread and the YAML worker (yaml-worker.ts,
// yaml-thread.ts): both sides import these types.
import type { ErrorCode } from "./error-codes.ts";
import type { YamlDocuments } from "./yaml-documents.ts";

export interface YamlRequest {
  id: number;
  text: string;
}

export type YamlReply =
  | { id: number; result: YamlDocuments }
  /** The body reader's refusal (request.invalid_yaml, request.too_deep), rebuilt as an ApiError. */
  | { id: number; refusal: { code: ErrorCode; message: string } }
  /** An unexpected error while parsing (a bug): answered as the parser's failure. */
  | { id: number; fault: string };
