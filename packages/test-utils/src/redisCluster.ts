import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, redisUnavailableReason } from "./redisServer";

/** A Redis Cluster of masters on 127.0.0.1 that a test suite started and must stop. */
export interface RedisCluster {
  /** One `{ host, port }` per master: the start nodes for an ioredis `Cluster`. */
  readonly nodes: { host: string; port: number }[];
  /** The process id of each master, in the order of `nodes`. */
  readonly pids: (number | undefined)[];
  /**
   * Runs `redis-cli` against the cluster (through the first node) and returns its output; throws
   * with what it printed when it fails. E.g. `cli("--cluster", "reshard", ...)`.
   */
  cli(...args: string[]): string;
  /** Stops every node (SIGTERM, then SIGKILL after 5 s) and deletes their folders. */
  stop(): Promise<void>;
}

const SERVER = process.env.REDIS_SERVER_BIN ?? "redis-server";
const CLI = process.env.REDIS_CLI_BIN ?? "redis-cli";

/**
 * Why Redis Cluster tests cannot run here, or `undefined` when they can: a `redis-server` and a
 * `redis-cli` that knows `--cluster`. Throws instead when `CI=true`, as the other probes.
 */
export function redisClusterUnavailableReason(): string | undefined {
  const server = redisUnavailableReason();
  if (server) return server;
  const probe = spawnSync(CLI, ["--cluster", "help"], { encoding: "utf8" });
  if (!probe.error && `${probe.stdout}${probe.stderr}`.includes("create")) return undefined;
  const reason = `no redis-cli with --cluster ("${CLI}": ${probe.error?.message ?? probe.stderr.trim()}); install redis-tools or set REDIS_CLI_BIN`;
  if (process.env.CI === "true") throw new Error(`Redis Cluster is required in CI: ${reason}`);
  return reason;
}

const running = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    join(dir, "nodes.conf"),
    "--cluster-node-timeout",
    "5000",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ];
  const child = spawn(SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server (cluster) did not become ready on port ${port}:\n${output}`));
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
 * Starts a Redis Cluster of `masters` (default 3) nodes without replicas on free loopback ports:
 * `redis-server --cluster-enabled yes` per node, then `redis-cli --cluster create … --cluster-yes`,
 * and waits until every node reports `cluster_state:ok`. Stopped by the nodes' processes.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const root = mkdtempSync(join(tmpdir(), "mfa-kit-redis-cluster-"));
  dirs.add(root);
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(children.map(terminate));
    rmSync(root, { recursive: true, force: true });
    dirs.delete(root);
  };
  try {
    for (let i = 0; i < masters; i++) {
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const dir = join(root, String(port));
        mkdirSync(dir, { recursive: true });
        try {
          children.push(await launch(port, dir));
          ports.push(port);
          break;
        } catch (error) {
          if (attempt >= 3) throw error;
        }
      }
    }
    const cli = (...args: string[]) => {
      const run = spawnSync(CLI, args, { encoding: "utf8", timeout: 60_000 });
      if (run.status !== 0) {
        throw new Error(`redis-cli ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
      }
      return run.stdout;
    };
    cli(
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    );
    // Every node must agree before clients see a stable slot map.
    const deadline = Date.now() + 20_000;
    for (const port of ports) {
      while (!cli("-p", String(port), "cluster", "info").includes("cluster_state:ok")) {
        if (Date.now() > deadline) throw new Error(`cluster node ${port} never reported ok`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return {
      nodes: ports.map((port) => ({ host: "127.0.0.1", port })),
      get pids() {
        return children.map((c) => (c.exitCode === null ? c.pid : undefined));
      },
      cli: (...args: string[]) => cli(...args),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
