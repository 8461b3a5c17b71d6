// Owns commands registered before they are built (up, demo): they say so and exit 2.
import { type Command, EXIT_OK, EXIT_USAGE } from "./command.ts";
import { renderUnavailable } from "./help.ts";

function defineUnavailable(path: string, summary: string): Command {
  const spec = { path, summary, args: [], flags: [] };
  return {
    spec,
    available: false,
    async run(argv, _env, io) {
      if (argv.includes("--help") || argv.includes("-h")) {
        io.stdout.write(renderUnavailable(spec));
        return EXIT_OK;
      }
      io.stderr.write(`palisade ${path}: not yet available in this build.\n`);
      return EXIT_USAGE;
    },
  };
}

export const upCommand = defineUnavailable("up", "Not built yet.");
export const demoCommand = defineUnavailable("demo", "Not built yet.");
