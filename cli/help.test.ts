// Tests help and usage errors for every command, through the dispatcher.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Command } from "./command.ts";
import { commands } from "./commands.ts";
import { runCli } from "./run.ts";
import { captureIo } from "./testing.ts";

async function run(...argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, {}, io);
  return { code, out: io.out(), err: io.err() };
}

function allRunnable(list: Command[]): Command[] {
  return list.flatMap((command) => [command, ...allRunnable(command.subcommands ?? [])]);
}

const runnable = allRunnable(commands);

describe("palisade --help", () => {
  test("lists every available command with its summary and exits 0", async () => {
    const { code, out } = await run("--help");
    assert.equal(code, 0);
    for (const command of commands) {
      assert.match(
        out,
        new RegExp(`\\n  ${command.spec.path} +${command.spec.summary.replace(/[()]/g, "\\$&")}`),
      );
    }
  });

  test("lists up and demo as available commands, with nothing left under not yet available", async () => {
    const { out } = await run("--help");
    for (const name of ["up", "demo"]) assert.match(out, new RegExp(`\\n  ${name} +[a-z]`));
    assert.doesNotMatch(out, /Not yet available/);
  });

  test("names every environment variable the commands read", async () => {
    const { out } = await run("-h");
    for (const name of ["PALISADE_SERVER", "PALISADE_TOKEN", "PALISADE_ADMIN_TOKEN", "PALISADE_LISTEN"]) {
      assert.ok(out.includes(name), name);
    }
  });

  test("palisade help and palisade --help print the same overview", async () => {
    assert.equal((await run("help")).out, (await run("--help")).out);
  });

  test("no command at all is a usage error that shows the overview on stderr", async () => {
    const { code, out, err } = await run();
    assert.equal(code, 2);
    assert.equal(out, "");
    assert.match(err, /missing COMMAND/);
    assert.match(err, /Commands:/);
  });

  test("an unknown command exits 2, names it and points to --help", async () => {
    const { code, err } = await run("frobnicate");
    assert.equal(code, 2);
    assert.match(err, /unknown command "frobnicate"/);
    assert.match(err, /palisade --help/);
  });

  test("an unknown flag before any command exits 2 and names the flag", async () => {
    const { code, err } = await run("--verbose");
    assert.equal(code, 2);
    assert.match(err, /unknown flag --verbose/);
  });

  test("help for an unknown command exits 2", async () => {
    const { code, err } = await run("help", "frobnicate");
    assert.equal(code, 2);
    assert.match(err, /unknown command "frobnicate"/);
  });
});

describe("each command's help", () => {
  for (const command of runnable) {
    const words = command.spec.path.split(" ");

    test(`palisade ${command.spec.path} --help shows usage and every flag with its default and env var`, async () => {
      const { code, out, err } = await run(...words, "--help");
      assert.equal(code, 0);
      assert.equal(err, "");
      assert.match(out, new RegExp(`^palisade ${command.spec.path}: `));
      assert.ok(out.includes(`Usage: palisade ${command.spec.path}`));
      for (const flag of command.spec.flags) {
        assert.ok(out.includes(`--${flag.name}`), `--${flag.name} missing`);
        if (flag.short) assert.ok(out.includes(`-${flag.short}, --${flag.name}`));
        if (flag.default) assert.ok(out.includes(`default: ${flag.default}`), `default of --${flag.name}`);
        if (flag.env) assert.ok(out.includes(`env: ${flag.env}`), `env of --${flag.name}`);
      }
    });

    test(`palisade help ${command.spec.path} prints the same text as --help`, async () => {
      assert.equal((await run("help", ...words)).out, (await run(...words, "-h")).out);
    });

    test(`palisade ${command.spec.path} with an unknown flag exits 2 naming the flag and --help`, async () => {
      const { code, out, err } = await run(...words, "--no-such-flag");
      assert.equal(code, 2);
      assert.equal(out, "");
      assert.match(err, /unknown flag --no-such-flag/);
      assert.ok(err.includes(`palisade ${command.spec.path} --help`), err);
    });
  }

  test("--help wins over other mistakes on the same line", async () => {
    const { code, out } = await run("get", "--bogus", "--help");
    assert.equal(code, 0);
    assert.match(out, /Usage: palisade get KIND \[NAME\]/);
  });

  test("the client commands document the admin-token file fallback of --token", async () => {
    const { out } = await run("get", "--help");
    assert.match(
      out,
      /--token TOKEN +bearer token \(default: the contents of \.\/data\/admin-token when it exists; env: PALISADE_TOKEN\)/,
    );
  });

  test("server help documents PALISADE_ADMIN_TOKEN and the generated admin-token file", async () => {
    const { out } = await run("server", "--help");
    assert.match(out, /PALISADE_ADMIN_TOKEN/);
    assert.match(out, /<db dir>\/admin-token \(mode 0600\)/);
  });
});

describe("the token command group", () => {
  test("without a subcommand it exits 2 and lists the subcommands", async () => {
    const { code, err } = await run("token");
    assert.equal(code, 2);
    assert.match(err, /missing COMMAND \(create, list, revoke\)/);
  });

  test("an unknown subcommand exits 2 and names it", async () => {
    const { code, err } = await run("token", "rotate");
    assert.equal(code, 2);
    assert.match(err, /unknown command "rotate"; commands: create, list, revoke/);
  });

  test("its help lists each subcommand's usage", async () => {
    const { out } = await run("token", "--help");
    assert.match(out, /palisade token create \[flags\]/);
    assert.match(out, /palisade token revoke ID \[flags\]/);
  });
});
