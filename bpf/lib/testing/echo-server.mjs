// Test pod server (run inside a network namespace): accepts TCP on the given ports and answers
// UDP datagrams on the UDP port with an echo. Prints "ready" when listening.
// Usage: node echo-server.mjs <udpPort> <tcpPort>...
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

const [udpPort, ...tcpPorts] = process.argv.slice(2).map(Number);
let pending = tcpPorts.length + 1;
const ready = () => {
  pending -= 1;
  if (pending === 0) console.log("ready");
};
for (const port of tcpPorts) {
  createServer((s) => {
    s.on("error", () => {});
    s.end("hello\n");
  }).listen(port, "0.0.0.0", ready);
}
const udp = createSocket("udp4");
udp.on("message", (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
udp.bind(udpPort, "0.0.0.0", ready);
