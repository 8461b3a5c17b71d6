// Owns the -o formats: writing an API answer as JSON or YAML exactly as received.
import { stringify } from "yaml";
import type { FlagSpec } from "./command.ts";
import type { Io } from "./io.ts";

export function outputFlag(formats: readonly string[], description: string): FlagSpec {
  return {
    name: "output",
    short: "o",
    type: "string",
    valueName: "FORMAT",
    description,
    default: formats[0],
    choices: formats,
  };
}

/** Writes `value` as JSON or YAML; returns false for any other format so the caller renders it. */
export function writeStructured(value: unknown, format: string | undefined, io: Io): boolean {
  if (format === "json") io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === "yaml") io.stdout.write(stringify(value));
  else return false;
  return true;
}
