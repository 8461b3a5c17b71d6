// Tests argv parsing: flags, env vars, defaults, choices and argument counts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CommandSpec } from "./command.ts";
import { parseCommandLine, requireValue, UsageError } from "./flags.ts";

const spec: CommandSpec = {
  path: "demo-cmd",
  summary: "a command for tests",
  args: [
    { name: "KIND", required: true },
    { name: "NAME", required: false },
  ],
  flags: [
    { name: "namespace", short: "n", type: "string", description: "ns", default: "default" },
    { name: "server", type: "string", description: "url", default: "http://x", env: "PALISADE_SERVER" },
    {
      name: "output",
      short: "o",
      type: "string",
      description: "fmt",
      default: "table",
      choices: ["table", "json"],
    },
    { name: "file", short: "f", type: "string", description: "file" },
    { name: "force", type: "boolean", description: "force" },
    { name: "help", short: "h", type: "boolean", description: "help" },
  ],
};

function usageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof UsageError && pattern.test(error.message));
}

describe("parseCommandLine", () => {
  test("a flag given on the command line beats its env var, which beats its default", () => {
    assert.equal(parseCommandLine(spec, ["ns"], {}).values.server, "http://x");
    assert.equal(
      parseCommandLine(spec, ["ns"], { PALISADE_SERVER: "http://env" }).values.server,
      "http://env",
    );
    const parsed = parseCommandLine(spec, ["ns", "--server=http://flag"], { PALISADE_SERVER: "http://env" });
    assert.equal(parsed.values.server, "http://flag");
  });

  test("an empty env var counts as unset", () => {
    assert.equal(parseCommandLine(spec, ["ns"], { PALISADE_SERVER: "" }).values.server, "http://x");
  });

  test("short flags, long flags and inline values all work, positionals keep their order", () => {
    const parsed = parseCommandLine(spec, ["ep", "-n", "prod", "web", "--output=json"], {});
    assert.deepEqual(parsed.args, ["ep", "web"]);
    assert.equal(parsed.values.namespace, "prod");
    assert.equal(parsed.values.output, "json");
  });

  test("a lone dash is a value, so -f - reads stdin", () => {
    assert.equal(parseCommandLine(spec, ["x", "-f", "-"], {}).values.file, "-");
  });

  test("an unknown flag is named in the error", () => {
    usageError(() => parseCommandLine(spec, ["ns", "--colour"], {}), /^unknown flag --colour$/);
    usageError(() => parseCommandLine(spec, ["ns", "-z"], {}), /^unknown flag -z$/);
  });

  test("a flag without its value is an error naming the flag", () => {
    usageError(() => parseCommandLine(spec, ["ns", "-n"], {}), /flag -n needs a value/);
  });

  test("a flag followed by another flag is not given that flag as its value", () => {
    usageError(
      () => parseCommandLine(spec, ["ns", "-n", "--output", "json"], {}),
      /-n needs a value .* followed by --output/,
    );
  });

  test("a boolean flag with a value is an error", () => {
    usageError(() => parseCommandLine(spec, ["ns", "--force=yes"], {}), /^flag --force takes no value$/);
    assert.ok(parseCommandLine(spec, ["ns", "--force"], {}).switches.has("force"));
  });

  test("a value outside the choices names the flag, the choices and the value", () => {
    usageError(
      () => parseCommandLine(spec, ["ns", "-o", "xml"], {}),
      /^--output must be one of table, json; got "xml"$/,
    );
  });

  test("a missing required argument and an extra argument are both named", () => {
    usageError(() => parseCommandLine(spec, [], {}), /^missing argument KIND$/);
    usageError(
      () => parseCommandLine(spec, ["a", "b", "c"], {}),
      /unexpected argument "c" \(expected KIND NAME\)/,
    );
  });

  test("after -- everything is positional", () => {
    assert.deepEqual(parseCommandLine(spec, ["--", "-weird"], {}).args, ["-weird"]);
  });

  test("requireValue names the flag with its short form when it is missing", () => {
    const parsed = parseCommandLine(spec, ["ns"], {});
    usageError(() => requireValue(parsed, "file"), /^flag -f\/--file is required$/);
  });
});
