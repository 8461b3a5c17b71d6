// Owns the help text: the overview of all commands and each command's usage, flags and notes.
import type { Command, CommandSpec, FlagSpec } from "./command.ts";

export function usageLine(spec: CommandSpec): string {
  const args = spec.args.map((arg) => (arg.required ? arg.name : `[${arg.name}]`));
  return ["palisade", spec.path, ...args, "[flags]"].join(" ");
}

export function renderCommandHelp(command: Command): string {
  const { spec } = command;
  const out = [`palisade ${spec.path}: ${spec.summary}`, "", `Usage: ${usageLine(spec)}`];
  if (spec.description) out.push("", spec.description);
  if (command.subcommands) {
    out.push(
      "",
      "Commands:",
      ...alignPairs(command.subcommands.map((sub) => [usageLine(sub.spec), sub.spec.summary])),
    );
  }
  out.push("", "Flags:", ...alignPairs(spec.flags.map((flag) => [flagLabel(flag), flagDescription(flag)])));
  for (const section of spec.sections ?? [])
    out.push("", `${section.title}:`, ...section.lines.map((l) => `  ${l}`));
  if (command.subcommands)
    out.push("", `Run \`palisade ${spec.path} COMMAND --help\` for a command's flags.`);
  return `${out.join("\n")}\n`;
}

export function renderOverview(commands: Command[], environment: [string, string][]): string {
  const out = [
    "palisade: network policy for containers and pods, enforced with eBPF, managed from one control plane",
    "",
    "Usage: palisade COMMAND [flags]",
    "",
    "Commands:",
    ...alignPairs(commands.map((c) => [c.spec.path, c.spec.summary])),
    "  help         show help for a command (palisade help COMMAND)",
  ];
  out.push("", "Environment:", ...alignPairs(environment));
  out.push("", "Run `palisade COMMAND --help` for a command's flags, defaults and environment variables.");
  return `${out.join("\n")}\n`;
}

function flagLabel(flag: FlagSpec): string {
  const value = flag.type === "string" ? ` ${flag.valueName ?? "VALUE"}` : "";
  return `${flag.short ? `-${flag.short}, ` : "    "}--${flag.name}${value}`;
}

function flagDescription(flag: FlagSpec): string {
  const notes: string[] = [];
  const shownDefault = flag.defaultText ?? flag.default;
  if (shownDefault !== undefined) notes.push(`default: ${shownDefault}`);
  if (flag.env) notes.push(`env: ${flag.env}`);
  return notes.length > 0 ? `${flag.description} (${notes.join("; ")})` : flag.description;
}

/** Two columns, the first padded to the widest entry (at least 11 characters). */
function alignPairs(pairs: string[][]): string[] {
  const width = Math.max(11, ...pairs.map(([left]) => left?.length ?? 0));
  return pairs.map(([left = "", right = ""]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
}
