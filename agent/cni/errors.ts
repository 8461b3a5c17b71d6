// Owns the CNI errors the agent answers the plugin with (CNI spec 1.0, "Error"): a code, a message
// and details, written as JSON on the plugin's stdout with a non-zero exit.
import type { CniAnswer } from "../../wire/cni-socket.ts";

/** Well-known codes of the CNI spec; 100 and up are Palisade's own. */
export const CNI_CODE = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  /** Palisade: the control plane refused the endpoint (a conflict, a limit). */
  refused: 100,
  /** Palisade: CHECK found the endpoint missing or not enforced. */
  notEnforced: 101,
} as const;

export class CniError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details = "",
  ) {
    super(message);
    this.name = "CniError";
  }
}

/** The answer for an error, in the cniVersion of the request when it is known. */
export function errorAnswer(err: CniError, cniVersion = "1.0.0"): CniAnswer {
  const body: Record<string, unknown> = { cniVersion, code: err.code, msg: err.message };
  if (err.details) body.details = err.details;
  return { exitCode: 1, stdout: `${JSON.stringify(body)}\n` };
}
