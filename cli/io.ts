// Owns what a command may touch outside its arguments: output streams, fetch, stdin and cwd.

export interface TextSink {
  write(text: string): unknown;
}

export type Env = Record<string, string | undefined>;

export interface Io {
  stdout: TextSink;
  stderr: TextSink;
  fetch: typeof fetch;
  /** Read by `apply -f -`; defaults to the process's stdin. */
  stdin?: AsyncIterable<Uint8Array | string>;
  /** Base for relative paths (`-f FILE`, `./data/admin-token`); defaults to process.cwd(). */
  cwd?: string;
}

/** A command: arguments after its name in, exit code out (0 ok, 1 failed, 2 usage error). */
export type CommandFn = (argv: string[], env: Env, io: Io) => Promise<number>;

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    fetch: globalThis.fetch,
    stdin: process.stdin,
    cwd: process.cwd(),
  };
}

export function workingDirectory(io: Io): string {
  return io.cwd ?? process.cwd();
}
