// Owns the shape of a command and the wrapper mapping help, usage errors and failures to exit codes.
import { reportFailure } from "./failure.ts";
import { type ParsedFlags, parseCommandLine, UsageError } from "./flags.ts";
import { renderCommandHelp } from "./help.ts";
import type { CommandFn, Env, Io } from "./io.ts";

export interface FlagSpec {
  name: string;
  short?: string;
  type: "string" | "boolean";
  /** Placeholder in help, e.g. `URL`. */
  valueName?: string;
  description: string;
  default?: string;
  /** Shown as the default when the default is not a literal value. */
  defaultText?: string;
  env?: string;
  choices?: readonly string[];
}

export interface ArgSpec {
  name: string;
  required: boolean;
}

export interface HelpSection {
  title: string;
  lines: string[];
}

export interface CommandSpec {
  /** Words after `palisade`, e.g. `get` or `token create`. */
  path: string;
  summary: string;
  args: ArgSpec[];
  flags: FlagSpec[];
  description?: string;
  sections?: HelpSection[];
}

export interface Command {
  spec: CommandSpec;
  run: CommandFn;
  subcommands?: Command[];
}

export type Handler = (parsed: ParsedFlags, env: Env, io: Io) => Promise<number>;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const helpFlag: FlagSpec = {
  name: "help",
  short: "h",
  type: "boolean",
  description: "show this help",
};

/** Builds a runnable command: `--help` prints help, bad usage exits 2, failures exit 1. */
export function defineCommand(spec: CommandSpec, handler: Handler): Command {
  const fullSpec = { ...spec, flags: [...spec.flags, helpFlag] };
  const command: Command = {
    spec: fullSpec,
    async run(argv, env, io) {
      try {
        const parsed = parseCommandLine(fullSpec, argv, env);
        if (parsed.help) {
          io.stdout.write(renderCommandHelp(command));
          return EXIT_OK;
        }
        return await handler(parsed, env, io);
      } catch (error) {
        if (error instanceof UsageError) return reportUsageError(fullSpec.path, error.message, io);
        return reportFailure(error, io);
      }
    },
  };
  return command;
}

export function reportUsageError(commandPath: string, message: string, io: Io): number {
  io.stderr.write(`palisade ${commandPath}: ${message}\nRun \`palisade ${commandPath} --help\` for usage.\n`);
  return EXIT_USAGE;
}
