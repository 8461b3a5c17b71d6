// Owns the lifecycle of the test's own containerd: start it on the run's directories, wait until
// CRI answers, import the test image into k8s.io, and tear it down (pods first through CRI, then
// the daemon, then any shim, task or mount it left) at stop() or at process exit.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { onCleanup } from "../../e2e/harness/cleanup.ts";
import { containerdConfig } from "./containerd-config.ts";
import { CriClient } from "./cri.ts";
import { pidsWithArg, terminateSync, unmountUnder } from "./host-state.ts";
import { IMAGE_REF, imageTar } from "./image.ts";
import { type RunDirs, subdir } from "./run-dirs.ts";
import { sh } from "./sh.ts";

export const CRI_NAMESPACE = "k8s.io";

export interface Containerd {
  socket: string;
  cri: CriClient;
  /** containerd's log (stdout and stderr), for failure messages. */
  logPath: string;
  /** Milliseconds: process start to CRI answering, and the image import. */
  timings: { startMs: number; importMs: number };
  /** Stops and removes every pod through CRI, then the daemon and whatever it left. */
  stop(): Promise<void>;
}

async function waitForCri(
  cri: CriClient,
  socket: string,
  child: ChildProcess,
  logPath: string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  // Wait for the socket first: a gRPC call to a missing socket backs the channel off for ~1 s.
  while (!existsSync(socket) && child.exitCode === null && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`containerd exited with ${child.exitCode}; see ${logPath}`);
    try {
      await cri.version();
      return;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`containerd's CRI did not answer in 30 s; see ${logPath}`, { cause: e });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Kills what survives the daemon: runc tasks under our runc root and shims bound to our socket. */
function killLeftovers(socket: string, runcRoot: string): void {
  const nsRoot = join(runcRoot, CRI_NAMESPACE);
  const list = spawnSync("runc", ["--root", nsRoot, "list", "-q"], { encoding: "utf8" });
  for (const id of (list.stdout ?? "").split("\n").filter(Boolean)) {
    spawnSync("runc", ["--root", nsRoot, "kill", id, "KILL"], { stdio: "ignore" });
    spawnSync("runc", ["--root", nsRoot, "delete", "-f", id], { stdio: "ignore" });
  }
  for (const pid of pidsWithArg(socket)) terminateSync(pid, 1000);
}

export async function startContainerd(dirs: RunDirs): Promise<Containerd> {
  const root = subdir(dirs, "containerd", "root");
  const state = subdir(dirs, "containerd", "state");
  const socket = join(state, "containerd.sock");
  const runcRoot = subdir(dirs, "containerd", "runc");
  const configPath = join(dirs.root, "containerd", "config.toml");
  writeFileSync(
    configPath,
    containerdConfig({
      root,
      state,
      socket,
      ttrpcSocket: join(state, "containerd-ttrpc.sock"),
      runcRoot,
      cniBinDir: dirs.binDir,
      cniConfDir: dirs.confDir,
      sandboxImage: IMAGE_REF,
    }),
  );
  const logPath = join(dirs.root, "containerd", "containerd.log");
  const log = openSync(logPath, "a");
  const started = Date.now();
  const child = spawn("containerd", ["--config", configPath], { stdio: ["ignore", log, log] });
  const cri = new CriClient(socket);
  const hardStop = onCleanup(`containerd ${socket}`, () => {
    cri.close();
    if (child.pid !== undefined) terminateSync(child.pid);
    killLeftovers(socket, runcRoot);
    unmountUnder(root);
    unmountUnder(state);
  });
  try {
    await waitForCri(cri, socket, child, logPath);
  } catch (e) {
    hardStop();
    throw e;
  }
  const startMs = Date.now() - started;
  const importStart = Date.now();
  try {
    sh("ctr", ["-a", socket, "-n", CRI_NAMESPACE, "images", "import", imageTar()]);
  } catch (e) {
    hardStop();
    throw e;
  }
  const importMs = Date.now() - importStart;
  return {
    socket,
    cri,
    logPath,
    timings: { startMs, importMs },
    async stop() {
      try {
        for (const pod of await cri.listPods()) {
          await cri.stopPod(pod.id);
          await cri.removePod(pod.id);
        }
      } finally {
        hardStop();
      }
    },
  };
}
