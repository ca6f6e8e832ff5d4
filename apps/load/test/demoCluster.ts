import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { MfaHeaders, mfaPath } from "@mfa-kit/protocol";
import {
  type PostgresServer,
  type RedisServer,
  startPostgresServer,
  startRedisServer,
} from "@mfa-kit/test-utils";
import { generateSync } from "otplib";
import { type NodeProcess, startNodeProcess } from "../src/nodeProcess";

/** The demo's Node server as built by `npm run build` (`vite build --ssr src/server/node.ts`). */
const demoServerScript = fileURLToPath(new URL("../../demo/dist/server/node.js", import.meta.url));

/** One demo instance: its base URL and process. */
export interface Instance {
  name: string;
  url: string;
  process: NodeProcess<number>;
}

/** Two demo servers on loopback sharing one redis-server, as behind a load balancer. */
export interface DemoCluster {
  redis: RedisServer;
  /** The key prefix the instances use in Redis. */
  prefix: string;
  a: Instance;
  b: Instance;
  stop(): Promise<void>;
}

/** Two demo servers on loopback sharing one PostgreSQL (`MFA_DATABASE_URL`), each with its pool. */
export interface PostgresDemoCluster extends Omit<DemoCluster, "redis" | "prefix"> {
  postgres: PostgresServer;
  /** The schema the instances keep their state in. */
  schema: string;
}

/** Starts a private PostgreSQL and two demo instances sharing it (same encryption key and schema). */
export async function startPostgresDemoCluster(): Promise<PostgresDemoCluster> {
  const postgres = await startPostgresServer();
  const schema = `load${process.pid}`;
  const env = {
    PORT: "0",
    MFA_DATABASE_URL: postgres.url,
    MFA_DATABASE_SCHEMA: schema,
    MFA_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
  };
  try {
    const [a, b] = await startInstances(env);
    return {
      postgres,
      schema,
      a,
      b,
      async stop() {
        await Promise.all([a.process.stop(), b.process.stop()]);
        await postgres.destroy();
      },
    };
  } catch (error) {
    await postgres.destroy();
    throw error;
  }
}

/** Starts a redis-server and two demo instances sharing it (same encryption key and prefix). */
export async function startDemoCluster(): Promise<DemoCluster> {
  const redis = await startRedisServer();
  const prefix = `load${process.pid}:`;
  const env = {
    PORT: "0",
    MFA_REDIS_URL: redis.url,
    MFA_REDIS_PREFIX: prefix,
    MFA_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
  };
  let a: Instance;
  let b: Instance;
  try {
    [a, b] = await startInstances(env);
  } catch (error) {
    await redis.stop();
    throw error;
  }
  return {
    redis,
    prefix,
    a,
    b,
    async stop() {
      await Promise.all([a.process.stop(), b.process.stop()]);
      await redis.stop();
    },
  };
}

/** Two demo instances, A and B, with the same environment. */
async function startInstances(env: Record<string, string>): Promise<[Instance, Instance]> {
  const start = async (name: string): Promise<Instance> => {
    const proc = await startNodeProcess(demoServerScript, [], {
      env,
      parseReady: (line) => {
        const m = /^PORT=(\d+)$/.exec(line);
        return m ? Number(m[1]) : undefined;
      },
    });
    return { name, url: `http://127.0.0.1:${proc.ready}`, process: proc };
  };
  const started: Instance[] = [];
  try {
    started.push(await start("A"));
    started.push(await start("B"));
  } catch (error) {
    for (const instance of started) await instance.process.stop();
    throw error;
  }
  return started as [Instance, Instance];
}

/** A JSON answer: status, headers and parsed body. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls `path` on an instance with JSON in and out. */
export async function call<T = Record<string, unknown>>(
  instance: Instance,
  method: string,
  path: string,
  options: { token?: string; session?: string; body?: unknown } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers[MfaHeaders.authorization] = `Bearer ${options.token}`;
  if (options.session) headers[MfaHeaders.sessionToken] = options.session;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${instance.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/** A user known to both instances (signed up on each: the demo derives its id from the name). */
export interface ClusterUser {
  username: string;
  password: string;
  /** An access token per instance (primary login is per instance in the demo). */
  tokens: { a: string; b: string };
}

/** Signs a new user up on both instances (each answers with its own access token). */
export async function newUser(
  cluster: Pick<DemoCluster, "a" | "b">,
  name: string,
): Promise<ClusterUser> {
  const username = `${name}-${randomBytes(4).toString("hex")}`;
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const tokenOn = async (instance: Instance) => {
    const signUp = await call<{ accessToken: string }>(instance, "POST", "/api/auth/signup", {
      body: { username, password },
    });
    if (signUp.status !== 201) throw new Error(`sign-up on ${instance.name}: ${signUp.status}`);
    return signUp.body.accessToken;
  };
  return {
    username,
    password,
    tokens: { a: await tokenOn(cluster.a), b: await tokenOn(cluster.b) },
  };
}

/** The TOTP code of `secret` `offsetSteps` steps from now. */
export const totpCode = (secret: string, offsetSteps = 0) =>
  generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });

/** Enrolls and activates a TOTP factor on instance A: its id, secret and backup codes. */
export async function enrollTotp(cluster: Pick<DemoCluster, "a">, user: ClusterUser) {
  const enrolled = await call<{ factorId: string; secret: string }>(
    cluster.a,
    "POST",
    mfaPath("enrollTotp"),
    { token: user.tokens.a, body: {} },
  );
  if (enrolled.status !== 200) throw new Error(`enrollment answered ${enrolled.status}`);
  const { factorId, secret } = enrolled.body;
  const activated = await call<{ backupCodes: string[] }>(
    cluster.a,
    "POST",
    mfaPath("activateFactor", { factorId }),
    { token: user.tokens.a, body: { code: totpCode(secret) } },
  );
  if (activated.status !== 200) throw new Error(`activation answered ${activated.status}`);
  return { factorId, secret, backupCodes: activated.body.backupCodes };
}
