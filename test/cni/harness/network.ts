// Owns a CNI test network: a conflist (bridge + host-local, optionally one chained plugin such as
// palisade) with a /24 from 198.18.0.0/15 that no route uses and a bridge name unique to the run.
// Safety: pods get only the connected route (host-local `routes: []`), the subnet lives only on
// this bridge (`isGateway`, no masquerade), and the bridge is deleted at teardown or process exit.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freeSubnet } from "../../../lib/netns/subnet.ts";
import { onCleanup } from "../../e2e/harness/cleanup.ts";
import type { RunDirs } from "./run-dirs.ts";

export interface ConflistSpec {
  /** Network name: podman's `--network NAME`, host-local's data subdirectory. */
  name: string;
  bridge: string;
  /** IPv4 CIDR, e.g. 198.18.7.0/24; the bridge takes the first address as gateway. */
  subnet: string;
  /** host-local's data dir (keep it under the run root). */
  ipamDir: string;
  /** Plugin objects chained after bridge (later: `{ type: "palisade", ... }`). */
  plugins?: object[];
  cniVersion?: string;
}

/** The conflist object (pure). */
export function conflist(spec: ConflistSpec): object {
  return {
    cniVersion: spec.cniVersion ?? "1.0.0",
    name: spec.name,
    plugins: [
      {
        type: "bridge",
        bridge: spec.bridge,
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: spec.subnet }]],
          routes: [],
          dataDir: spec.ipamDir,
        },
      },
      ...(spec.plugins ?? []),
    ],
  };
}

/** Writes `<confDir>/10-<name>.conflist` and returns its path. */
export function writeConflist(confDir: string, spec: ConflistSpec): string {
  const path = join(confDir, `10-${spec.name}.conflist`);
  writeFileSync(path, `${JSON.stringify(conflist(spec), null, 2)}\n`);
  return path;
}

export interface TestNetwork extends ConflistSpec {
  gateway: string;
  conflistPath: string;
  /** Deletes the bridge (the plugins create it on the first ADD). Idempotent. */
  remove(): void;
}

/** Allocates a subnet and bridge name (`<prefix><suffix>br`), writes the conflist, registers cleanup. */
export function createTestNetwork(
  dirs: RunDirs,
  opts: { suffix?: string; plugins?: object[]; confDir?: string } = {},
): TestNetwork {
  const name = `${dirs.prefix}${opts.suffix ?? ""}`;
  const bridge = `${name}br`;
  if (bridge.length > 15) throw new Error(`bridge name ${bridge} is longer than 15 characters`);
  const subnet = freeSubnet().cidr;
  const spec: ConflistSpec = { name, bridge, subnet, ipamDir: dirs.ipamDir, plugins: opts.plugins ?? [] };
  const conflistPath = writeConflist(opts.confDir ?? dirs.confDir, spec);
  const remove = onCleanup(`cni bridge ${bridge}`, () => {
    spawnSync("ip", ["link", "del", bridge], { stdio: "ignore" });
  });
  return { ...spec, gateway: subnet.replace(/0\/24$/, "1"), conflistPath, remove };
}
