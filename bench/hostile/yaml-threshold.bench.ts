// Measures where parsing a YAML body in the worker (api/http/yaml-worker.ts) starts paying off:
// for bundles of growing size, the inline parse's time (all of it on the event loop) against the
// worker's answer time and the main thread's share of it (posting the text, taking the documents
// back). body.ts parses bodies below YAML_INLINE_MAX_CHARS inline; this is the table behind it.
// Run: node --import tsx bench/hostile/yaml-threshold.bench.ts [--runs N]
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { YAML_INLINE_MAX_CHARS } from "../../api/http/body.ts";
import { parseYamlDocuments } from "../../api/http/yaml-documents.ts";
import { YamlWorker } from "../../api/http/yaml-worker.ts";
import { ms, section, table } from "../control-plane/report.ts";
import { median } from "../control-plane/stats.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "21" } } });
const runs = Number(values.runs);

/** A bundle of ordinary policies of about `chars` characters. */
function bundle(chars: number): string {
  let text = "";
  for (let i = 0; text.length < chars; i++) {
    text += `---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p${i}\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels: {app: web}\n  ingress:\n    - from:\n        - podSelector: {matchLabels: {app: client}}\n        - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n      ports: [{protocol: TCP, port: 8080}]\n`;
  }
  return text;
}

async function main(): Promise<void> {
  const worker = new YamlWorker();
  // Warm both paths (the JIT, the worker's start) before measuring.
  const warm = bundle(256 * 1024);
  for (let i = 0; i < 5; i++) {
    parseYamlDocuments(warm);
    await worker.parse(warm);
  }
  const rows: string[][] = [];
  for (const kib of [1, 4, 8, 12, 16, 24, 32, 64, 128]) {
    const text = bundle(kib * 1024);
    const inline: number[] = [];
    const answer: number[] = [];
    const mainThread: number[] = [];
    // The worker's runs apart from the inline ones: the inline parse's garbage, collected on the
    // main thread, would otherwise be counted as the worker's main-thread time.
    for (let i = 0; i < runs; i++) {
      const elu = performance.eventLoopUtilization();
      const started = performance.now();
      await worker.parse(text);
      answer.push(performance.now() - started);
      mainThread.push(performance.eventLoopUtilization(elu).active);
    }
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      parseYamlDocuments(text);
      inline.push(performance.now() - started);
    }
    const where = text.length < YAML_INLINE_MAX_CHARS ? "inline" : "worker";
    rows.push([`${kib} KiB`, where, ms(median(inline)), ms(median(answer)), ms(median(mainThread))]);
  }
  await worker.stop();
  section(`YAML bundles: inline parse vs the worker (median of ${runs})`);
  console.log(
    table(
      ["body", "body.ts parses it", "inline (event loop)", "worker: answer", "worker: main thread"],
      rows,
    ),
  );
}

await main();
