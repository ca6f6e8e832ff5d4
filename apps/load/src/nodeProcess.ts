import { type ChildProcess, spawn } from "node:child_process";

/** A Node process started by the tests or the bench, stopped by its own pid. */
export interface NodeProcess<Ready> {
  readonly pid: number;
  /** What the process announced once ready (parsed from its stdout). */
  readonly ready: Ready;
  /** Everything it wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Runs `node <script> ...args` and waits until `parseReady` recognises a line of its stdout (the
 * server's "listening" announcement), or fails with everything it printed after `timeoutMs`.
 */
export function startNodeProcess<Ready>(
  script: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    parseReady: (line: string) => Ready | undefined;
    timeoutMs?: number;
  },
): Promise<NodeProcess<Ready>> {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });

  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not become ready:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${signal ?? code}) before it was ready:\n${output}`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      buffered += text;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        const ready = line ? options.parseReady(line) : undefined;
        if (ready !== undefined) {
          clearTimeout(timer);
          resolve({
            pid: child.pid!,
            ready,
            output: () => output,
            async stop() {
              if (child.exitCode !== null || child.signalCode !== null) return;
              const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
              child.kill("SIGTERM");
              await exited;
              clearTimeout(force);
            },
          });
          return;
        }
        newline = buffered.indexOf("\n");
      }
    });
  });
}
