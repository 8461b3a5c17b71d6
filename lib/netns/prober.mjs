// The pod prober (runs inside a pod's network namespace, one per source pod): reads JSON lines
// {"id", "proto": "tcp"|"udp", "ip", "port", "timeoutMs"} on stdin, runs them concurrently, and
// writes {"id", "ok", "why"} per probe. TCP passes when the server's greeting arrives; UDP when the
// echo comes back. Also holds long-lived TCP connections: {"id", "op": "open"|"ping"|"close", ...},
// and streams: {"id", "op": "stream", "key", "proto", "ip", "port", "everyMs", "localPort"?} sends
// a numbered line every everyMs on one connection (or one UDP socket) and records when each echo
// came back; {"op": "stream-stats", "key"} answers with {sent, echoed, echoTimes} (ms since epoch)
// and {"op": "close", "key"} stops it.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { createInterface } from "node:readline";

const held = new Map();
const streams = new Map();
const answer = (id, ok, why = "", extra = {}) =>
  process.stdout.write(`${JSON.stringify({ id, ok, why, ...extra })}\n`);

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
  // `size`: pad the datagram (a large one leaves fragmented).
  const payload = `ping-${r.id}`.padEnd(r.size ?? 0, "x");
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

/** Sends `bytes` on one TCP connection and passes once the echo server sent them all back. */
function bulk(r) {
  const s = connect({ host: r.ip, port: r.port });
  const greeting = "hello\n".length;
  let received = 0;
  let done = false;
  const finish = (ok, why) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    s.destroy();
    answer(r.id, ok, why, { echoed: Math.max(0, received - greeting) });
  };
  const timer = setTimeout(() => finish(false, "timeout"), r.timeoutMs);
  s.on("data", (d) => {
    received += d.length;
    if (received >= r.bytes + greeting) finish(true);
  });
  s.on("error", (e) => finish(false, e.code));
  s.once("connect", () => s.write(Buffer.alloc(r.bytes, 0x61)));
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

function openStream(r) {
  const st = { sent: 0, echoed: 0, echoTimes: [], error: "", stop: () => {} };
  streams.set(r.key, st);
  const onEcho = (text) => {
    for (const line of text.split("\n")) {
      if (!line.startsWith("seq-")) continue;
      st.echoed += 1;
      st.echoTimes.push(Date.now());
    }
  };
  let send;
  if (r.proto === "udp") {
    const s = createSocket("udp4");
    s.on("message", (m) => onEcho(m.toString()));
    s.on("error", (e) => {
      st.error = e.code;
    });
    send = (line) => s.send(line, r.port, r.ip);
    st.stop = () => s.close();
    s.bind(r.localPort ?? 0, () => start());
  } else {
    const s = connect({ host: r.ip, port: r.port, ...(r.localPort ? { localPort: r.localPort } : {}) });
    let buffered = "";
    s.on("data", (d) => {
      buffered += d.toString();
      const cut = buffered.lastIndexOf("\n");
      if (cut < 0) return;
      onEcho(buffered.slice(0, cut));
      buffered = buffered.slice(cut + 1);
    });
    s.on("error", (e) => {
      st.error = e.code;
    });
    send = (line) => s.writable && s.write(line);
    // A reset, not a FIN: the client keeps no TIME_WAIT, so a test can reuse its source port.
    // (resetAndDestroy on a socket still connecting would wait for the connect: destroy it.)
    st.stop = () => (s.connecting ? s.destroy() : s.resetAndDestroy());
    s.once("connect", () => start());
  }
  // Never connected (denied, or nothing listens): answer instead of hanging.
  const failed = setTimeout(() => {
    st.stop();
    answer(r.id, false, st.error || "timeout");
  }, r.timeoutMs ?? 2000);
  const start = () => {
    clearTimeout(failed);
    const timer = setInterval(() => {
      st.sent += 1;
      send(`seq-${st.sent}\n`);
    }, r.everyMs);
    const stop = st.stop;
    st.stop = () => {
      clearInterval(timer);
      stop();
    };
    answer(r.id, true);
  };
}

createInterface({ input: process.stdin }).on("line", (text) => {
  const r = JSON.parse(text);
  if (r.op === "stream") return openStream(r);
  if (r.op === "bulk") return bulk(r);
  if (r.op === "stream-stats") {
    const st = streams.get(r.key);
    if (!st) return answer(r.id, false, "no stream");
    return answer(r.id, true, st.error, { sent: st.sent, echoed: st.echoed, echoTimes: st.echoTimes });
  }
  if (r.op === "open") return openHeld(r);
  if (r.op === "ping") return pingHeld(r);
  if (r.op === "close") {
    held.get(r.key)?.destroy();
    held.delete(r.key);
    streams.get(r.key)?.stop();
    streams.delete(r.key);
    return answer(r.id, true);
  }
  return r.proto === "udp" ? probeUdp(r) : probeTcp(r);
});
process.stdin.on("end", () => process.exit(0));
console.log(JSON.stringify({ ready: true }));
