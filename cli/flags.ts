// Owns turning argv into flag values and arguments (node:util parseArgs) and naming usage errors.
import { parseArgs } from "node:util";
import type { CommandSpec, FlagSpec } from "./command.ts";
import type { Env } from "./io.ts";

/** A mistake in how the command was called: reported with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface ParsedFlags {
  help: boolean;
  /** Positional arguments, in order, checked against the spec's count. */
  args: string[];
  /** String flags resolved as flag, then env var, then default; undefined when none applies. */
  values: Record<string, string | undefined>;
  /** Boolean flags given on the command line. */
  switches: Set<string>;
  /** How each flag is spelled in messages, e.g. `-f/--filename`. */
  labels: Record<string, string>;
}

interface OptionToken {
  name: string;
  rawName: string;
  value?: string | undefined;
  inlineValue?: boolean | undefined;
}

export function parseCommandLine(spec: CommandSpec, argv: string[], env: Env): ParsedFlags {
  const options = Object.fromEntries(
    spec.flags.map((flag) => [
      flag.name,
      flag.short ? { type: flag.type, short: flag.short } : { type: flag.type },
    ]),
  );
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const byName = new Map(spec.flags.map((flag) => [flag.name, flag]));
  const given = new Map<string, string>();
  const switches = new Set<string>();
  const args: string[] = [];
  const labels = Object.fromEntries(
    spec.flags.map((flag) => [flag.name, `${flag.short ? `-${flag.short}/` : ""}--${flag.name}`]),
  );
  if (tokens.some((token) => token.kind === "option" && token.name === "help")) {
    return { help: true, args, values: {}, switches, labels };
  }
  for (const token of tokens) {
    if (token.kind === "positional") args.push(token.value);
    if (token.kind !== "option") continue;
    const flag = byName.get(token.name);
    if (!flag) throw new UsageError(`unknown flag ${token.rawName}`);
    if (flag.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`flag ${token.rawName} takes no value`);
      switches.add(flag.name);
    } else {
      given.set(flag.name, readFlagValue(flag, token));
    }
  }
  checkArgCount(spec, args);
  const values: Record<string, string | undefined> = {};
  for (const flag of spec.flags) {
    if (flag.type !== "string") continue;
    const fromEnv = flag.env ? env[flag.env] : undefined;
    const value = given.get(flag.name) ?? (fromEnv === "" ? undefined : fromEnv) ?? flag.default;
    if (value !== undefined) checkChoice(flag, value, given.has(flag.name) ? `--${flag.name}` : flag.env);
    values[flag.name] = value;
  }
  return { help: false, args, values, switches, labels };
}

function readFlagValue(flag: FlagSpec, token: OptionToken): string {
  const placeholder = flag.valueName ?? "VALUE";
  if (token.value === undefined) throw new UsageError(`flag ${token.rawName} needs a value (${placeholder})`);
  if (!token.inlineValue && token.value.startsWith("-") && token.value !== "-") {
    throw new UsageError(
      `flag ${token.rawName} needs a value (${placeholder}), but is followed by ${token.value}`,
    );
  }
  return token.value;
}

function checkChoice(flag: FlagSpec, value: string, source: string | undefined): void {
  if (!flag.choices || flag.choices.includes(value)) return;
  const from = source?.startsWith("--") ? source : `${source ?? `--${flag.name}`} (--${flag.name})`;
  throw new UsageError(`${from} must be one of ${flag.choices.join(", ")}; got ${JSON.stringify(value)}`);
}

function checkArgCount(spec: CommandSpec, args: string[]): void {
  const missing = spec.args.slice(args.length).find((arg) => arg.required);
  if (missing) throw new UsageError(`missing argument ${missing.name}`);
  const extra = args[spec.args.length];
  if (extra !== undefined) {
    throw new UsageError(
      spec.args.length === 0
        ? `unexpected argument ${JSON.stringify(extra)} (this command takes none)`
        : `unexpected argument ${JSON.stringify(extra)} (expected ${spec.args.map((a) => a.name).join(" ")})`,
    );
  }
}

/** A string flag's value; a usage error when it was not given and has no env var or default. */
export function requireValue(parsed: ParsedFlags, name: string): string {
  const value = parsed.values[name];
  if (value === undefined) throw new UsageError(`flag ${parsed.labels[name] ?? `--${name}`} is required`);
  return value;
}
