// The pod server (runs inside a pod's network namespace, for tests and `palisade demo`): on each
// `tcp:PORT` accepts connections, greets with "hello" and echoes what it receives; on each
// `udp:PORT` echoes datagrams. Prints "ready" once everything listens.
// Usage: node pod-server.mjs tcp:80 udp:81 ...
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

const listeners = process.argv.slice(2).map((arg) => {
  const [proto, port] = arg.split(":");
  if ((proto !== "tcp" && proto !== "udp") || !/^\d+$/.test(port ?? "") || Number(port) > 65535) {
    console.error(`pod-server: expected tcp:PORT or udp:PORT, got ${JSON.stringify(arg)}`);
    process.exit(2);
  }
  return { proto, port: Number(port) };
});
let pending = listeners.length;
const ready = () => {
  pending -= 1;
  if (pending === 0) console.log("ready");
};
for (const { proto, port } of listeners) {
  if (proto === "tcp") {
    createServer((s) => {
      s.on("error", () => {});
      // The greeting proves accept; echoing lines keeps a long-lived connection testable.
      s.write("hello\n");
      s.on("data", (d) => s.write(d));
      s.setTimeout(120_000, () => s.destroy());
    }).listen(port, "0.0.0.0", ready);
  } else {
    const udp = createSocket("udp4");
    udp.on("message", (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
    udp.bind(port, "0.0.0.0", ready);
  }
}
