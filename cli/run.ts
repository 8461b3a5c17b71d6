// Owns dispatch: `palisade --help`, `palisade help [COMMAND...]`, and running the named command.
import type { Command } from "./command.ts";
import { EXIT_OK, EXIT_USAGE } from "./command.ts";
import { commands as allCommands, environment } from "./commands.ts";
import { findSubcommand } from "./group.ts";
import { renderCommandHelp, renderOverview } from "./help.ts";
import type { Env, Io } from "./io.ts";

export async function runCli(
  argv: string[],
  env: Env,
  io: Io,
  commands: Command[] = allCommands,
): Promise<number> {
  const [word, ...rest] = argv;
  const overview = () => renderOverview(commands, environment);
  if (word === "--help" || word === "-h") {
    io.stdout.write(overview());
    return EXIT_OK;
  }
  if (word === undefined) {
    io.stderr.write(`palisade: missing COMMAND\n\n${overview()}`);
    return EXIT_USAGE;
  }
  if (word === "help") return showHelp(rest, commands, io, overview);
  const command = commands.find((candidate) => candidate.spec.path === word);
  if (command) return command.run(rest, env, io);
  const problem = word.startsWith("-") ? `unknown flag ${word}` : `unknown command ${JSON.stringify(word)}`;
  io.stderr.write(`palisade: ${problem}\nRun \`palisade --help\` for the list of commands.\n`);
  return EXIT_USAGE;
}

function showHelp(words: string[], commands: Command[], io: Io, overview: () => string): number {
  const [name, ...subwords] = words;
  if (name === undefined) {
    io.stdout.write(overview());
    return EXIT_OK;
  }
  const command = commands.find((candidate) => candidate.spec.path === name);
  if (!command) {
    io.stderr.write(
      `palisade help: unknown command ${JSON.stringify(name)}\nRun \`palisade --help\` for the list of commands.\n`,
    );
    return EXIT_USAGE;
  }
  io.stdout.write(renderCommandHelp(findSubcommand(command, subwords)));
  return EXIT_OK;
}
