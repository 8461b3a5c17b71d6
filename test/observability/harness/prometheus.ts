// Owns a real Prometheus for tests: Debian's binary on 127.0.0.1 at a free port, a temporary
// storage directory, the shipped scrape config and rules pointed at a running stack with a 1s
// scrape and evaluation interval; close() stops it and removes its files, also after a failed start.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { ruleFiles, SCRAPE_CONFIG } from "./queries.ts";

export interface ScrapeTargets {
  controlPlane: string;
  /** The control plane's bearer token (written to a 0600 credentials file). */
  token: string;
  agents: { target: string; node: string }[];
}

interface Job {
  job_name: string;
  authorization?: { type?: string; credentials_file?: string };
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
}

/** The shipped deploy/prometheus/prometheus.yml with its addresses, token file and rule paths replaced. */
export function scrapeConfig(t: ScrapeTargets, tokenFile: string): string {
  const config = parse(readFileSync(SCRAPE_CONFIG, "utf8")) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: Job[];
  };
  const job = (name: string) => {
    const found = config.scrape_configs.find((j) => j.job_name === name);
    if (!found) throw new Error(`${SCRAPE_CONFIG} has no job ${name}`);
    return found;
  };
  config.global = {
    ...config.global,
    scrape_interval: "1s",
    evaluation_interval: "1s",
    scrape_timeout: "1s",
  };
  config.rule_files = ruleFiles();
  const cp = job("palisade-control-plane");
  if (cp.authorization?.credentials_file === undefined)
    throw new Error("the control-plane job sends no token");
  cp.authorization.credentials_file = tokenFile;
  cp.static_configs = [{ targets: [t.controlPlane] }];
  job("palisade-agent").static_configs = t.agents.map((a) => ({
    targets: [a.target],
    labels: { node: a.node },
  }));
  return stringify(config);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PromResponse {
  status: string;
  // biome-ignore lint/suspicious/noExplicitAny: Prometheus answers are read field by field
  data?: any;
  errorType?: string;
  error?: string;
}

export interface RunningPrometheus {
  url: string;
  /** GET /api/v1/query at the current time; the answer whatever its status. */
  query(expr: string): Promise<PromResponse>;
  api(path: string): Promise<PromResponse>;
  /** Everything it logged, for failure messages. */
  log(): string;
  close(): Promise<void>;
}

export async function startPrometheus(binary: string, targets: ScrapeTargets): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-prometheus-"));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, targets.token, { mode: 0o600 });
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, scrapeConfig(targets, tokenFile));
  let child: ChildProcess | undefined;
  let output = "";
  const close = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child!.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--storage.tsdb.retention.time=1h",
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr!.on("data", (d: Buffer) => {
      output += d.toString();
    });
    const api = async (path: string): Promise<PromResponse> => {
      const res = await fetch(`${url}${path}`);
      return (await res.json()) as PromResponse;
    };
    const until = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${output}`);
      try {
        if ((await fetch(`${url}/-/ready`)).status === 200) break;
      } catch {}
      if (Date.now() > until) throw new Error(`prometheus not ready after 30s: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      url,
      api,
      query: (expr) => api(`/api/v1/query?query=${encodeURIComponent(expr)}`),
      log: () => output,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Polls `probe` every 250 ms until it answers something (not undefined), or throws after timeoutMs. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The samples of an instant query, as label sets with numbers. */
export function samples(r: PromResponse): { metric: Record<string, string>; value: number }[] {
  assert.equal(r.status, "success", `${r.errorType}: ${r.error}`);
  if (r.data.resultType === "scalar") return [{ metric: {}, value: Number(r.data.result[1]) }];
  return (r.data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({
    metric: s.metric,
    value: Number(s.value[1]),
  }));
}
