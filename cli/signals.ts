// Owns how commands hear SIGINT and SIGTERM: once to stop (server, agent, up), or for as long as
// a command runs (demo, which cleans up and then exits 130).

/** Resolves with the signal's name on the first SIGINT or SIGTERM. */
export function waitForStopSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      // A second signal while closing means "now": the default handlers end the process.
      resolveSignal(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** Calls onSignal on every SIGINT/SIGTERM until the returned function is called. */
export function trapStopSignals(onSignal: (signal: string) => void): () => void {
  const handler = (signal: NodeJS.Signals) => onSignal(signal);
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
