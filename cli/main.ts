// The `palisade` command line: runs the command named in argv with the real process's streams.
import { processIo } from "./io.ts";
import { runCli } from "./run.ts";

process.exitCode = await runCli(process.argv.slice(2), process.env, processIo());
