// Tests `palisade cni install|uninstall` with temp dirs (no root): what it writes, what it
// refuses to overwrite, and that uninstall removes exactly what install wrote.
import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { INSTALLED_BY_KEY, INSTALLED_BY_VALUE } from "../cni/conflist.ts";
import { PLUGIN_MARKER } from "../cni/install.ts";
import { ensurePluginBuilt } from "../cni/testing.ts";
import { createCniCommand } from "./cni.ts";
import { runCli } from "./run.ts";
import { captureIo } from "./testing.ts";

let root: string;
let binDir: string;
let confDir: string;
let build: string;

before(() => {
  build = ensurePluginBuilt();
  root = mkdtempSync(join(tmpdir(), "palisade-cni-cli-"));
});
after(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  const case_ = mkdtempSync(join(root, "case-"));
  binDir = join(case_, "bin");
  confDir = join(case_, "net.d");
});

async function cni(argv: string[], pluginBuild = build) {
  const io = captureIo({ cwd: root });
  const command = createCniCommand({ pluginBuild, defaultBinDir: () => binDir });
  const code = await command.run(argv, {}, io);
  return { code, out: io.out(), err: io.err() };
}

const dirs = () => ["--bin-dir", binDir, "--conf-dir", confDir];

describe("palisade cni install", () => {
  test("the built plugin carries the marker install and uninstall look for", () => {
    assert.ok(readFileSync(build).includes(PLUGIN_MARKER));
  });

  test("installs the plugin (mode 0755) and writes the default conflist", async () => {
    const { code, out, err } = await cni(["install", ...dirs()]);
    assert.equal(err, "");
    assert.equal(code, 0);
    const binary = join(binDir, "palisade");
    assert.deepEqual(readFileSync(binary), readFileSync(build));
    assert.equal(statSync(binary).mode & 0o777, 0o755);
    const conflistPath = join(confDir, "10-palisade.conflist");
    assert.equal(statSync(conflistPath).mode & 0o777, 0o644);
    assert.deepEqual(JSON.parse(readFileSync(conflistPath, "utf8")), {
      cniVersion: "1.0.0",
      name: "palisade",
      [INSTALLED_BY_KEY]: INSTALLED_BY_VALUE,
      plugins: [
        {
          type: "bridge",
          bridge: "palisade0",
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: "host-local", ranges: [[{ subnet: "10.222.0.0/24" }]], routes: [] },
        },
        {
          type: "palisade",
          agentSocket: "/run/palisade/cni.sock",
          namespace: "default",
          capabilities: { "io.kubernetes.cri.pod-annotations": true },
        },
      ],
    });
    assert.equal(
      out,
      `installed the CNI plugin: ${binary}\ninstalled network palisade: ${conflistPath}\n` +
        "  bridge palisade0, subnet 10.222.0.0/24, namespace default, agent socket /run/palisade/cni.sock\n",
    );
    assert.deepEqual(readdirSync(binDir), ["palisade"], "no temporary file left behind");
  });

  test("takes every flag into the conflist and its file name", async () => {
    const { code } = await cni([
      "install",
      ...dirs(),
      "--network",
      "shop-net",
      "--subnet",
      "fd00:10::/64",
      "--bridge",
      "shop0",
      "--namespace",
      "shop",
      "--agent-socket",
      "/run/p/cni.sock",
    ]);
    assert.equal(code, 0);
    const conflist = JSON.parse(readFileSync(join(confDir, "10-shop-net.conflist"), "utf8"));
    assert.equal(conflist.name, "shop-net");
    assert.equal(conflist.plugins[0].bridge, "shop0");
    assert.deepEqual(conflist.plugins[0].ipam.ranges, [[{ subnet: "fd00:10::/64" }]]);
    assert.equal(conflist.plugins[1].namespace, "shop");
    assert.equal(conflist.plugins[1].agentSocket, "/run/p/cni.sock");
  });

  test("the bin dir defaults to the one the host has", async () => {
    const { code } = await cni(["install", "--conf-dir", confDir]);
    assert.equal(code, 0);
    assert.ok(existsSync(join(binDir, "palisade")));
  });

  test("running it again replaces its own files and says so", async () => {
    await cni(["install", ...dirs()]);
    const { code, out } = await cni(["install", ...dirs(), "--subnet", "10.222.7.0/24"]);
    assert.equal(code, 0);
    assert.match(out, /^updated the CNI plugin: .*\nupdated network palisade: /);
    assert.match(readFileSync(join(confDir, "10-palisade.conflist"), "utf8"), /10\.222\.7\.0\/24/);
  });

  test("invalid flags are usage errors naming the flag, and nothing is written", async () => {
    const cases: [string[], RegExp][] = [
      [["--subnet", "10.222.0.0"], /--subnet must be a CIDR/],
      [["--subnet", "10.222.0.1/24"], /--subnet must name its network address \(10\.222\.0\.0\/24\)/],
      [["--subnet", "10.222.0.0/31"], /at most \/30/],
      [["--network", "../etc"], /--network must be a CNI network name/],
      [["--bridge", "a-very-long-bridge-name"], /--bridge must be an interface name/],
      [["--namespace", "Shop"], /--namespace must be a DNS-1123 label/],
      [["--agent-socket", "run/cni.sock"], /--agent-socket must be an absolute path/],
    ];
    for (const [flags, message] of cases) {
      const { code, err } = await cni(["install", ...dirs(), ...flags]);
      assert.equal(code, 2, flags.join(" "));
      assert.match(err, message);
      assert.match(err, /palisade cni install --help/);
    }
    assert.equal(existsSync(binDir) || existsSync(confDir), false);
  });

  test("without a build it says how to make one", async () => {
    const { code, err } = await cni(["install", ...dirs()], join(root, "missing-build"));
    assert.equal(code, 1);
    assert.match(
      err,
      /^error: the CNI plugin is not built \(no .*missing-build\): run `npm run build:cni`\n$/,
    );
    assert.equal(existsSync(binDir), false);
  });

  test("refuses to overwrite a conflist or a plugin it did not write, and writes nothing then", async () => {
    mkdirSync(confDir, { recursive: true });
    const foreign = join(confDir, "10-palisade.conflist");
    writeFileSync(foreign, '{"cniVersion":"1.0.0","name":"palisade","plugins":[]}');
    const first = await cni(["install", ...dirs()]);
    assert.equal(first.code, 1);
    assert.match(first.err, /10-palisade\.conflist exists and was not written by palisade cni install/);
    assert.equal(existsSync(binDir), false, "the binary is not installed either");
    rmSync(foreign);

    mkdirSync(binDir, { recursive: true });
    writeFileSync(join(binDir, "palisade"), "#!/bin/sh\necho someone else's palisade\n");
    const second = await cni(["install", ...dirs()]);
    assert.equal(second.code, 1);
    assert.match(second.err, /palisade exists and is not the palisade CNI plugin/);
    assert.deepEqual(readdirSync(confDir), []);
  });

  test("refuses a network name another configuration already defines", async () => {
    mkdirSync(confDir, { recursive: true });
    writeFileSync(join(confDir, "87-podman.conflist"), '{"cniVersion":"0.4.0","name":"podman","plugins":[]}');
    const { code, err } = await cni(["install", ...dirs(), "--network", "podman"]);
    assert.equal(code, 1);
    assert.match(err, /network "podman" is already defined in .*87-podman\.conflist/);
  });

  test("a directory it may not write is reported with a hint, not a stack trace", async (t) => {
    if (process.getuid?.() === 0) {
      t.skip("root may write anywhere");
      return;
    }
    mkdirSync(binDir, { recursive: true });
    chmodSync(binDir, 0o555);
    const { code, err } = await cni(["install", ...dirs()]);
    assert.equal(code, 1);
    assert.match(err, /run as root, or choose --bin-dir and --conf-dir/);
  });

  test("is listed in `palisade --help` and routed by `palisade cni install --help`", async () => {
    const overview = captureIo();
    assert.equal(await runCli(["--help"], {}, overview), 0);
    assert.match(overview.out(), /\n {2}cni +install or remove the palisade CNI plugin/);
    const help = captureIo();
    assert.equal(await runCli(["cni", "install", "--help"], {}, help), 0);
    assert.match(help.out(), /--subnet CIDR +.*\(default: 10\.222\.0\.0\/24\)/);
  });
});

describe("palisade cni uninstall", () => {
  test("removes exactly what install wrote", async () => {
    mkdirSync(confDir, { recursive: true });
    writeFileSync(join(confDir, "87-podman.conflist"), '{"name":"podman"}');
    await cni(["install", ...dirs()]);
    const { code, out, err } = await cni(["uninstall", ...dirs()]);
    assert.equal(code, 0);
    assert.equal(err, "");
    assert.equal(
      out,
      `removed ${join(confDir, "10-palisade.conflist")}\nremoved ${join(binDir, "palisade")}\n`,
    );
    assert.deepEqual(readdirSync(confDir), ["87-podman.conflist"]);
    assert.deepEqual(readdirSync(binDir), []);
  });

  test("leaves files it did not write and names them", async () => {
    mkdirSync(confDir, { recursive: true });
    mkdirSync(binDir, { recursive: true });
    writeFileSync(join(confDir, "10-palisade.conflist"), '{"name":"palisade"}');
    writeFileSync(join(binDir, "palisade"), "not ours");
    const { code, out, err } = await cni(["uninstall", ...dirs()]);
    assert.equal(code, 0);
    assert.equal(out, "");
    assert.match(err, /left .*10-palisade\.conflist: not written by palisade cni install\n/);
    assert.match(err, /left .*bin\/palisade: not the palisade CNI plugin\n/);
    assert.equal(readdirSync(confDir).length, 1);
    assert.equal(readdirSync(binDir).length, 1);
  });

  test("keeps the plugin while another network installed by palisade uses it", async () => {
    await cni(["install", ...dirs()]);
    await cni([
      "install",
      ...dirs(),
      "--network",
      "second",
      "--bridge",
      "second0",
      "--subnet",
      "10.222.1.0/24",
    ]);
    const first = await cni(["uninstall", ...dirs()]);
    assert.equal(first.code, 0);
    assert.match(first.err, /left .*bin\/palisade: still used by .*10-second\.conflist/);
    assert.ok(existsSync(join(binDir, "palisade")));
    const second = await cni(["uninstall", ...dirs(), "--network", "second"]);
    assert.match(second.out, /removed .*10-second\.conflist\nremoved .*bin\/palisade\n/);
  });

  test("with nothing installed it says so and succeeds", async () => {
    const { code, out } = await cni(["uninstall", ...dirs()]);
    assert.equal(code, 0);
    assert.match(out, /not found \(nothing to remove\): .*10-palisade\.conflist\n/);
    assert.match(out, /not found \(nothing to remove\): .*bin\/palisade\n/);
  });
});
