// Entry of the YAML worker thread (api/http/yaml-worker.ts): a worker does not inherit the main
// thread's TypeScript loader (bin/palisade.mjs registers tsx in the main thread only, and Node
// refuses a .ts worker even under --import tsx), so it registers tsx itself, as bin/palisade.mjs does.
import { register } from "tsx/esm/api";

register();
await import("./yaml-thread.ts");
