// Per-request overhead of a wrapped axios instance against bare axios, with an in-process adapter
// (no network), and the same for axios-retry + axios-auth-refresh installed together. Runs against
// the built `dist` (`npm run build` first; `npm run bench` at the root does).
//
// Each contestant is timed in a process of its own next to a bare axios instance, as an app runs
// one HTTP set-up, not five: several instances with different interceptors in one process make
// axios's shared code see them all, and whichever runs there pays for the others (the wrapped
// instance measured about 2 % more that way, the peer about the same). Within a process the two
// are interleaved in short rounds; the ratio to bare axios is taken per round and the median
// reported, so machine noise and drift hit both alike. The processes run one after the other.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import axios from "axios";
import createAuthRefreshInterceptor from "axios-auth-refresh";
import axiosRetry from "axios-retry";
import { createMfaClient } from "../dist/index.js";
import { createMfaClient as createNodeClient } from "../dist/node-redirects/index.js";

const BASE = "https://api.example.com";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 300);
const token = "access-token";

const date = new Date().toUTCString();
/** Answers at once, like a server on the same machine with no network in between. */
const adapter = (config) =>
  Promise.resolve({
    data: { ok: true },
    status: 200,
    statusText: "OK",
    headers: { date },
    config,
    request: {},
  });
const instance = () => axios.create({ baseURL: BASE, adapter });

const session = {
  token: "session-token",
  expiresAt: Date.now() + 3_600_000,
  acr: "mfa",
  amr: ["otp"],
  authTime: Date.now(),
};

/** The contestants, each built only in its own process. */
const contestants = {
  // Ours (the default build, as browsers and bundlers get it), doing what the peer does: an access
  // token on every request.
  "mfa-kit wrapped axios": () => createMfaClient({ getAccessToken: () => token }).wrap(instance()),
  // The peer: what people glue together today, with the usual token interceptor.
  "axios-retry + axios-auth-refresh": () => {
    const peer = instance();
    peer.interceptors.request.use((config) => {
      config.headers.Authorization = `Bearer ${token}`;
      return config;
    });
    axiosRetry(peer, { retries: 3, retryDelay: axiosRetry.exponentialDelay });
    createAuthRefreshInterceptor(peer, async () => {});
    return peer;
  },
  // With an MFA session too (a second header), as an app has after its first step-up.
  "mfa-kit wrapped axios, with session": () => {
    const storage = { getItem: () => JSON.stringify(session), setItem() {}, removeItem() {} };
    return createMfaClient({ getAccessToken: () => token, session: { storage } }).wrap(instance());
  },
  // What Node resolves (the `node` export condition): the same, plus the guard that keeps
  // credentials off a redirect to another origin (browsers follow redirects themselves).
  "mfa-kit wrapped axios, node build": () =>
    createNodeClient({ getAccessToken: () => token }).wrap(instance()),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function round(target) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) await target.get("/me");
  return Number(process.hrtime.bigint() - start) / PER_ROUND;
}

/** Times `name` against bare axios in this process; prints `{ bare, ns, ratio }` as JSON. */
async function measure(name) {
  const bare = instance();
  const target = contestants[name]();
  // Check that a wrapped instance really does its work before timing it.
  const probe = await target.get("/me");
  if (probe.config.headers.get("Authorization") !== `Bearer ${token}`) {
    throw new Error(`${name} did not add its Authorization header.`);
  }
  if (name.includes("session") && probe.config.headers.get("X-Session-Token") !== session.token) {
    throw new Error(`${name} did not add its X-Session-Token header.`);
  }
  for (let i = 0; i < 5; i++) {
    // warm-up
    await round(bare);
    await round(target);
  }
  const bareNs = [];
  const ns = [];
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Short rounds in alternating order: each ratio pairs measurements taken moments apart.
    const times = new Map();
    for (const x of r % 2 ? [target, bare] : [bare, target]) times.set(x, await round(x));
    bareNs.push(times.get(bare));
    ns.push(times.get(target));
    ratios.push(times.get(target) / times.get(bare));
  }
  process.stdout.write(
    JSON.stringify({ bare: median(bareNs), ns: median(ns), ratio: median(ratios) }),
  );
}

const child = process.argv[2];
if (child) {
  await measure(child);
} else {
  const results = {};
  for (const name of Object.keys(contestants)) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), name], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    results[name] = JSON.parse(out);
  }
  const row = (name, ns, ratio) =>
    console.log(
      `${name.padEnd(37)} ${ns.toFixed(0).padStart(7)} ns/request  ${ratio.toFixed(3)} x bare axios`,
    );
  console.log(
    `per-request overhead, in-process adapter, each contestant in its own process next to bare axios, ${ROUNDS} rounds x ${PER_ROUND} requests (medians)`,
  );
  row("bare axios", median(Object.values(results).map((r) => r.bare)), 1);
  for (const [name, r] of Object.entries(results)) row(name, r.ns, r.ratio);
  const ours = results["mfa-kit wrapped axios"].ratio;
  const peer = results["axios-retry + axios-auth-refresh"].ratio;
  const met = ours <= 1.1 && ours < peer;
  console.log(
    `goal (<= 1.10 x bare and below the peer): ${met ? "met" : "NOT met"}, ${ours.toFixed(3)} vs peer ${peer.toFixed(3)}`,
  );
}
