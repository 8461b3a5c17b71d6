// Test pod server (runs inside a pod's network namespace): on every given port, accepts TCP
// (answers "hello" and closes) and echoes UDP datagrams. Prints "ready" once all are listening.
// Usage: node pod-server.mjs <port>...
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

const ports = process.argv.slice(2).map(Number);
let pending = ports.length * 2;
const ready = () => {
  pending -= 1;
  if (pending === 0) console.log("ready");
};
for (const port of ports) {
  createServer((s) => {
    s.on("error", () => {});
    // A line per received line keeps a long-lived connection testable; the greeting proves accept.
    s.write("hello\n");
    s.on("data", (d) => s.write(d));
    s.setTimeout(120_000, () => s.destroy());
  }).listen(port, "0.0.0.0", ready);
  const udp = createSocket("udp4");
  udp.on("message", (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
  udp.bind(port, "0.0.0.0", ready);
}
