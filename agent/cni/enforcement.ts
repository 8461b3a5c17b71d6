// Owns "is this pod enforced yet": the revision holding its endpoint is applied on this node and
// its interface carries the programs. ADD answers only then.
import { CNI_CODE, CniError } from "./errors.ts";
import type { Enforcement } from "./service.ts";

export function enforcementOf(
  appliedRevision: () => number | null,
  enforced: (iface: string) => boolean,
  pollMs = 10,
): Enforcement {
  return {
    enforced,
    waitEnforced: (revision, iface, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = () => {
          if ((appliedRevision() ?? -1) >= revision && enforced(iface)) return resolve();
          if (Date.now() >= deadline) {
            return reject(
              new CniError(
                CNI_CODE.tryAgainLater,
                `${iface} was not enforced within ${Math.round(timeoutMs / 1000)} s (revision ${revision}, applied ${appliedRevision() ?? "none"})`,
                "is the agent connected to the control plane? see its log",
              ),
            );
          }
          setTimeout(poll, pollMs);
        };
        poll();
      }),
  };
}
