// Owns asking podman about a container: `podman container inspect` (the agent's environment, e.g.
// CONTAINERS_CONF and CONTAINERS_STORAGE_CONF, selects the same storage the runtime uses).
import { execFile } from "node:child_process";
import type { Description, RuntimeAdapter } from "../labels.ts";

export function podmanAdapter(command = "podman", timeoutMs = 5_000): RuntimeAdapter {
  return {
    describe: (containerId) =>
      new Promise<Description>((resolve) => {
        execFile(
          command,
          ["container", "inspect", "--format", "json", containerId],
          { timeout: timeoutMs, maxBuffer: 8 << 20 },
          (err, stdout, stderr) => {
            if (err) {
              // Locked during network setup (a timeout) or not started yet: ask again later.
              resolve(/no such container/i.test(stderr) ? { state: "gone" } : null);
              return;
            }
            try {
              const [info] = JSON.parse(stdout) as {
                State?: { Running?: boolean; Status?: string };
                Config?: { Labels?: Record<string, string> | null };
              }[];
              if (!info) return resolve({ state: "gone" });
              const status = info.State?.Status ?? "";
              if (status === "exited" || status === "stopped" || status === "removing") {
                return resolve({ state: "gone" });
              }
              resolve({ state: "running", labels: info.Config?.Labels ?? {} });
            } catch {
              resolve(null);
            }
          },
        );
      }),
  };
}
