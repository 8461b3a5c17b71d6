// Test pod client (run inside a network namespace): one TCP connect or UDP echo round trip.
// Prints "ok" or "fail <why>". Usage: node probe-client.mjs tcp|udp <host> <port> <timeoutMs>
import { createSocket } from "node:dgram";
import { connect } from "node:net";

const [proto, host, portText, timeoutText] = process.argv.slice(2);
const port = Number(portText);
const timeout = Number(timeoutText ?? 1000);
const done = (msg) => {
  console.log(msg);
  process.exit(0);
};
setTimeout(() => done("fail timeout"), timeout);
if (proto === "tcp") {
  const s = connect({ host, port });
  s.on("data", () => done("ok"));
  s.on("error", (e) => done(`fail ${e.code}`));
} else {
  const s = createSocket("udp4");
  s.on("message", () => done("ok"));
  s.send("ping", port, host);
}
