// Owns the control-plane side of the fan-out benchmark: a child process that runs the real control
// plane on 127.0.0.1 over a file database, reports its URL over IPC, collects garbage on request (so
// memory readings exclude garbage) and exits when told to or when the parent goes away.
// Started by fanout.bench.ts (`fork` with `--expose-gc --import tsx`); not meant to be run by hand.
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { startServer } from "../../api/main.ts";

/** What the parent sends first. */
export interface PlaneRequest {
  type: "start";
  dbPath: string;
  adminToken: string;
  heartbeatSeconds: number;
  /** Default 127.0.0.1:0; a restart (`--restart`) listens on the port the first plane had. */
  listen?: string;
}

/** Later requests: a full GC (answered with `collected`), or stop. */
export type PlaneCommand = { type: "gc" } | { type: "stop" };

export type PlaneAnswer =
  | { type: "ready"; url: string }
  | { type: "collected"; gc: boolean }
  | { type: "error"; message: string };

function main(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("plane.ts must be started by fanout.bench.ts (fork, with IPC)");
  process.once("message", async (req: PlaneRequest) => {
    const server = await startServer({
      listen: req.listen ?? "127.0.0.1:0",
      dbPath: req.dbPath,
      adminToken: req.adminToken,
      heartbeatSeconds: req.heartbeatSeconds,
      log: () => {},
    }).catch((e: unknown) => {
      send({ type: "error", message: String(e) } satisfies PlaneAnswer);
      process.exit(1);
    });
    const stop = async (orphaned: boolean) => {
      await Promise.race([server.close(), new Promise((r) => setTimeout(r, 3_000))]);
      // The parent removes its temp dir itself, unless it died before it could.
      if (orphaned) rmSync(dirname(req.dbPath), { recursive: true, force: true });
      process.exit(0);
    };
    // The parent going away (crash included) ends this process too: the run leaves nothing behind.
    process.once("disconnect", () => stop(true));
    process.on("message", (cmd: PlaneCommand) => {
      if (cmd.type === "stop") void stop(false);
      if (cmd.type === "gc") {
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        gc?.();
        send({ type: "collected", gc: gc !== undefined } satisfies PlaneAnswer);
      }
    });
    send({ type: "ready", url: server.url } satisfies PlaneAnswer);
  });
}

main();
