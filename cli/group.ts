// Owns commands made of subcommands (`palisade token ...`): picking one, and the group's help.
import { type Command, type CommandSpec, EXIT_OK, helpFlag, reportUsageError } from "./command.ts";
import { renderCommandHelp } from "./help.ts";

export function defineGroup(spec: Omit<CommandSpec, "args" | "flags">, subcommands: Command[]): Command {
  const group: Command = {
    spec: { ...spec, args: [{ name: "COMMAND", required: true }], flags: [helpFlag] },
    subcommands,
    async run(argv, env, io) {
      const [word, ...rest] = argv;
      const names = subcommands.map((sub) => sub.spec.path.split(" ").at(-1));
      if (word === "--help" || word === "-h") {
        io.stdout.write(renderCommandHelp(group));
        return EXIT_OK;
      }
      if (word === undefined) return reportUsageError(spec.path, `missing COMMAND (${names.join(", ")})`, io);
      const sub = subcommands.find((candidate) => candidate.spec.path === `${spec.path} ${word}`);
      if (sub) return sub.run(rest, env, io);
      const problem = word.startsWith("-")
        ? `unknown flag ${word}`
        : `unknown command ${JSON.stringify(word)}`;
      return reportUsageError(spec.path, `${problem}; commands: ${names.join(", ")}`, io);
    },
  };
  return group;
}

export function findSubcommand(command: Command, words: string[]): Command {
  let current = command;
  for (const word of words) {
    const next = current.subcommands?.find((sub) => sub.spec.path === `${current.spec.path} ${word}`);
    if (!next) break;
    current = next;
  }
  return current;
}
