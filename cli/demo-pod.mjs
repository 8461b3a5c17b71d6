// The demo's pod program, run inside a pod's network namespace by `palisade demo`.
// `serve PORT...`: accepts TCP on each port, greets and closes; prints "ready" once listening.
// `probe IP PORT TIMEOUT_MS`: one TCP connect; prints "ok" when the greeting arrives, else "fail WHY".
import { connect, createServer } from "node:net";

const [mode, ...rest] = process.argv.slice(2);
if (mode === "serve") {
  let pending = rest.length;
  for (const port of rest.map(Number)) {
    createServer((s) => {
      s.on("error", () => {});
      s.end("hello from the demo pod\n");
    }).listen(port, "0.0.0.0", () => {
      pending -= 1;
      if (pending === 0) console.log("ready");
    });
  }
} else if (mode === "probe") {
  const [host, port, timeoutMs] = rest;
  const done = (line) => {
    console.log(line);
    process.exit(0);
  };
  setTimeout(() => done("fail timeout"), Number(timeoutMs));
  const s = connect({ host, port: Number(port) });
  s.on("data", () => done("ok"));
  s.on("error", (e) => done(`fail ${e.code}`));
} else {
  console.error("usage: demo-pod.mjs serve PORT... | probe IP PORT TIMEOUT_MS");
  process.exit(2);
}
