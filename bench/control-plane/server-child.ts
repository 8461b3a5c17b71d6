// Owns running the benchmark control plane (http-server.ts) as a child process: started with its
// request over IPC, ready when it says so, and stopped politely (SIGKILL after 5 s).
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ServerReady, ServerRequest } from "./http-server.ts";

const SERVER_FILE = fileURLToPath(new URL("./http-server.ts", import.meta.url));

/**
 * Starts http-server.ts; `serverFile` runs another checkout's copy instead (a same-run baseline of
 * an older version of the control plane, e.g. bench/hostile --against).
 */
export function startServerChild(
  req: ServerRequest,
  serverFile = SERVER_FILE,
): Promise<{ child: ChildProcess; ready: ServerReady }> {
  const child = fork(serverFile, [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the server process exited early (code ${code})`)));
    child.once("message", (m: { ready: ServerReady }) => resolve({ child, ready: m.ready }));
    child.send(req);
  });
}

export function stopServerChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    if (child.connected) child.send("close");
  });
}
