// The pod prober (runs inside a pod's network namespace, one per source pod): reads JSON lines
// {"id", "proto": "tcp"|"udp", "ip", "port", "timeoutMs"} on stdin, runs them concurrently, and
// writes {"id", "ok", "why"} per probe. TCP passes when the server's greeting arrives; UDP when the
// echo comes back. Also holds long-lived TCP connections: {"id", "op": "open"|"ping"|"close", ...}.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { createInterface } from "node:readline";

const held = new Map();
const answer = (id, ok, why = "") => process.stdout.write(`${JSON.stringify({ id, ok, why })}\n`);

function probeTcp(r) {
  const s = connect({ host: r.ip, port: r.port });
  const timer = setTimeout(() => finish(false, "timeout"), r.timeoutMs);
  let done = false;
  const finish = (ok, why) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    s.destroy();
    answer(r.id, ok, why);
  };
  s.on("data", () => finish(true));
  s.on("error", (e) => finish(false, e.code));
}

function probeUdp(r) {
  const s = createSocket("udp4");
  const payload = `ping-${r.id}`;
  let done = false;
  const finish = (ok, why) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    s.close();
    answer(r.id, ok, why);
  };
  const timer = setTimeout(() => finish(false, "timeout"), r.timeoutMs);
  s.on("message", (m) => m.toString() === payload && finish(true));
  s.on("error", (e) => finish(false, e.code));
  s.send(payload, r.port, r.ip);
}

function openHeld(r) {
  const s = connect({ host: r.ip, port: r.port });
  const timer = setTimeout(() => answer(r.id, false, "timeout"), r.timeoutMs);
  s.once("data", () => {
    clearTimeout(timer);
    held.set(r.key, s);
    answer(r.id, true);
  });
  s.on("error", (e) => {
    clearTimeout(timer);
    held.delete(r.key);
    answer(r.id, false, e.code);
  });
}

function pingHeld(r) {
  const s = held.get(r.key);
  if (!s || s.destroyed) return answer(r.id, false, "not open");
  const line = `ping-${r.id}\n`;
  const timer = setTimeout(() => {
    s.off("data", onData);
    answer(r.id, false, "timeout");
  }, r.timeoutMs);
  const onData = (d) => {
    if (!d.toString().includes(line)) return;
    clearTimeout(timer);
    s.off("data", onData);
    answer(r.id, true);
  };
  s.on("data", onData);
  s.write(line);
}

createInterface({ input: process.stdin }).on("line", (text) => {
  const r = JSON.parse(text);
  if (r.op === "open") return openHeld(r);
  if (r.op === "ping") return pingHeld(r);
  if (r.op === "close") {
    held.get(r.key)?.destroy();
    held.delete(r.key);
    return answer(r.id, true);
  }
  return r.proto === "udp" ? probeUdp(r) : probeTcp(r);
});
process.stdin.on("end", () => process.exit(0));
console.log(JSON.stringify({ ready: true }));
