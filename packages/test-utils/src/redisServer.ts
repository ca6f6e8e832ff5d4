import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A redis-server process on 127.0.0.1 that a test suite started and must stop. */
export interface RedisServer {
  /** The TCP port it listens on (the same across restarts). */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The process id while running, `undefined` while stopped. */
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
  /**
   * Starts it again on the same port (after {@link RedisServer.stop}). Data is gone unless a
   * `SAVE` was issued before the stop: the snapshot is then loaded, as after a real restart.
   */
  start(): Promise<void>;
}

const BINARY = process.env.REDIS_SERVER_BIN ?? "redis-server";

/**
 * Why Redis-backed tests cannot run here, or `undefined` when they can. Locally a missing
 * `redis-server` skips them with this message; in CI (`CI=true`) it throws, so CI never passes with
 * the multi-instance tests silently skipped.
 */
export function redisUnavailableReason(): string | undefined {
  const probe = spawnSync(BINARY, ["--version"], { encoding: "utf8" });
  if (!probe.error && probe.status === 0) return undefined;
  const reason =
    `no usable redis-server binary ("${BINARY}": ${probe.error?.message ?? probe.stderr.trim()}); ` +
    "install it (apt-get install -y redis-server) or set REDIS_SERVER_BIN to run these tests";
  if (process.env.CI === "true") throw new Error(`Redis is required in CI: ${reason}`);
  return reason;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not find a free port"));
      });
    });
  });
}

const running = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function launch(port: number, dir: string): Promise<ChildProcess> {
  // No automatic snapshots and no AOF; the working directory is a private temporary one, so an
  // explicit SAVE never writes into the caller's directory.
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ];
  const child = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not become ready on port ${port}:\n${output}`));
    }, 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code} on port ${port}:\n${output}`));
    });
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * Starts a throw-away redis-server on a free loopback port, without persistence. The caller stops
 * it (by its process, never by name) in `afterAll`.
 */
export async function startRedisServer(): Promise<RedisServer> {
  let child: ChildProcess | undefined;
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), "mfa-kit-redis-"));
  dirs.add(dir);
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
      break;
    } catch (error) {
      // Another process may have taken the port between the probe and the launch: try another.
      if (attempt >= 3) throw error;
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    async stop() {
      if (child) await terminate(child);
      child = undefined;
    },
    async start() {
      if (child) return;
      child = await launch(port, dir);
    },
  };
}
