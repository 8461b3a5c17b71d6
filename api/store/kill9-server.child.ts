// Test child for kill9.test.ts: the production control plane (startServer) over the database at
// argv[2]; prints its URL and runs until the test kills it with SIGKILL.
import { writeSync } from "node:fs";
import { startServer } from "../main.ts";

const server = await startServer({
  listen: "127.0.0.1:0",
  dbPath: process.argv[2]!,
  adminToken: process.argv[3]!,
  log: () => {},
});
writeSync(1, `${server.url}\n`);
