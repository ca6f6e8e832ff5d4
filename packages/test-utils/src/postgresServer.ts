import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./redisServer";

/** A private PostgreSQL cluster on 127.0.0.1 that a test suite started and must stop. */
export interface PostgresServer {
  /** The TCP port it listens on (the same across restarts). */
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  readonly url: string;
  /** The postmaster's process id while running, `undefined` while stopped. */
  readonly pid: number | undefined;
  /** A fast shutdown (SIGINT to the postmaster, SIGKILL after 10 s); waits until it is gone. */
  stop(): Promise<void>;
  /**
   * SIGKILL to the postmaster and every process it started, as a machine losing the server would:
   * nothing is flushed or shut down cleanly. {@link PostgresServer.start} then runs crash recovery.
   */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory (after `stop` or `kill`). */
  start(): Promise<void>;
  /** Stops it and deletes its data directory. */
  destroy(): Promise<void>;
}

/** Where Debian puts the server binaries; `PG_BIN` overrides. */
function binDir(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], "bin");
}

const asRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/**
 * Why PostgreSQL-backed tests cannot run here, or `undefined` when they can. Locally a missing
 * PostgreSQL skips them with this message; in CI (`CI=true`) it throws, so CI never passes with the
 * PostgreSQL tests silently skipped.
 */
export function postgresUnavailableReason(): string | undefined {
  const reason = probe();
  if (reason === undefined) return undefined;
  if (process.env.CI === "true") throw new Error(`PostgreSQL is required in CI: ${reason}`);
  return reason;
}

function probe(): string | undefined {
  const bin = binDir();
  const hint = "install it (apt-get install -y postgresql) or set PG_BIN to its bin directory";
  if (!bin) return `no PostgreSQL server binaries under /usr/lib/postgresql; ${hint}`;
  const version = spawnSync(join(bin, "postgres"), ["--version"], { encoding: "utf8" });
  if (version.error || version.status !== 0) {
    return `${bin}/postgres does not run (${version.error?.message ?? version.stderr.trim()}); ${hint}`;
  }
  if (asRoot()) {
    // PostgreSQL refuses to run as root: the cluster runs as the `postgres` system user.
    const user = spawnSync("runuser", ["-u", "postgres", "--", "true"], { encoding: "utf8" });
    if (user.error || user.status !== 0) {
      return `running as root, and "runuser -u postgres" fails (${user.error?.message ?? user.stderr.trim()}); create the postgres user or run as another user`;
    }
  }
  return undefined;
}

/** Runs a server binary, as the `postgres` user when we are root. */
function runPg(bin: string, tool: string, args: string[]): SpawnSyncReturns<string> {
  const command = join(bin, tool);
  return asRoot()
    ? spawnSync("runuser", ["-u", "postgres", "--", command, ...args], { encoding: "utf8" })
    : spawnSync(command, args, { encoding: "utf8" });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The postmaster and every process it started (its children, read from /proc). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const dir = `/proc/${out[i]}/task`;
    if (!existsSync(dir)) continue;
    for (const task of readdirSync(dir)) {
      try {
        const children = readFileSync(join(dir, task, "children"), "utf8").trim();
        if (children) out.push(...children.split(/\s+/).map(Number));
      } catch {
        // The process ended while we looked.
      }
    }
  }
  return out;
}

async function waitGone(pids: number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

const running = new Set<number>();
const dirs = new Set<string>();
process.once("exit", () => {
  for (const pid of running) for (const p of processTree(pid)) process.kill(p, "SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts a throw-away PostgreSQL cluster: `initdb` in a private temporary folder (owned by the
 * `postgres` user when we run as root), then `pg_ctl start` on a free loopback port with the Unix
 * socket in that folder. `fsync` is off (a killed server loses nothing the OS already has, which is
 * what the tests kill; only a machine crash could). The caller stops it by its process in
 * `afterAll`.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = binDir();
  if (!bin)
    throw new Error("startPostgresServer: no PostgreSQL binaries (see postgresUnavailableReason)");
  const dir = mkdtempSync(join(tmpdir(), "mfa-kit-pg-"));
  dirs.add(dir);
  chmodSync(dir, 0o700);
  if (asRoot()) {
    const ids = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim();
    const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const data = join(dir, "data");
  const init = runPg(bin, "initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}\n${init.stderr}`);

  let port = 0;
  let pid: number | undefined;
  const launch = () => {
    const options = [
      `-p ${port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${dir}`,
      "-c fsync=off",
      "-c full_page_writes=off",
      "-c max_connections=200",
      "-c shared_buffers=64MB",
    ].join(" ");
    const started = runPg(bin, "pg_ctl", [
      "start",
      "-D",
      data,
      "-w",
      "-t",
      "60",
      "-l",
      join(dir, "server.log"),
      "-o",
      options,
    ]);
    if (started.status !== 0) {
      const log = existsSync(join(dir, "server.log"))
        ? readFileSync(join(dir, "server.log"), "utf8")
        : "";
      throw new Error(
        `pg_ctl start failed on port ${port}:\n${started.stdout}\n${started.stderr}\n${log}`,
      );
    }
    pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    running.add(pid);
  };
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      launch();
      break;
    } catch (error) {
      // Another process may have taken the port between the probe and the launch: try another.
      if (attempt >= 3) throw error;
    }
  }

  const signalAll = async (signal: NodeJS.Signals) => {
    if (pid === undefined) return;
    const tree = signal === "SIGKILL" ? processTree(pid) : [pid];
    for (const p of tree) {
      try {
        process.kill(p, signal);
      } catch {
        // Already gone.
      }
    }
    if (!(await waitGone(tree, 10_000))) {
      for (const p of processTree(pid)) process.kill(p, "SIGKILL");
      await waitGone(processTree(pid), 5_000);
    }
    running.delete(pid);
    pid = undefined;
  };

  const server: PostgresServer = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    get pid() {
      return pid;
    },
    // SIGINT is PostgreSQL's fast shutdown: sessions are ended, then a checkpoint.
    stop: () => signalAll("SIGINT"),
    kill: () => signalAll("SIGKILL"),
    async start() {
      if (pid !== undefined) return;
      launch();
    },
    async destroy() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
  return server;
}
