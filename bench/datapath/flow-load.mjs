// Load generator for bench/datapath/flow-events.ts, run inside a pod's network namespace.
//   node flow-load.mjs serve PORT            accept and discard (prints "ready")
//   node flow-load.mjs connect IP PORT MS C  open and reset connections, C at a time; prints the count
//   node flow-load.mjs stream IP PORT MS     one TCP stream of 64 KiB writes; prints bytes sent
import { connect, createServer } from "node:net";

const [mode, a, b, c, d] = process.argv.slice(2);
if (mode === "serve") {
  createServer((s) => {
    s.on("error", () => {});
    s.resume();
  }).listen(Number(a), "0.0.0.0", () => console.log("ready"));
} else if (mode === "connect") {
  const end = Date.now() + Number(c);
  let done = 0;
  let active = Number(d);
  const one = () => {
    if (Date.now() > end) {
      active -= 1;
      if (active === 0) console.log(done);
      return;
    }
    const s = connect(Number(b), a, () => {
      done += 1;
      // A reset leaves no TIME_WAIT, so source ports are not exhausted.
      s.resetAndDestroy();
      one();
    });
    s.on("error", () => setImmediate(one));
  };
  for (let i = 0; i < active; i++) one();
} else if (mode === "stream") {
  const end = Date.now() + Number(c);
  const chunk = Buffer.alloc(65536);
  let sent = 0;
  const s = connect(Number(b), a, () => {
    const pump = () => {
      while (Date.now() < end) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once("drain", pump);
      }
      s.end(() => console.log(sent));
    };
    pump();
  });
  s.on("error", (e) => {
    console.error(String(e));
    process.exit(1);
  });
} else {
  console.error("usage: flow-load.mjs serve|connect|stream ...");
  process.exit(2);
}
