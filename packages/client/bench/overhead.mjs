// Per-request overhead of a wrapped axios instance against bare axios, with an in-process adapter
// (no network), and the same for axios-retry + axios-auth-refresh installed together. Runs against
// the built `dist` (`npm run build` first; `npm run bench` at the root does). Variants are
// interleaved in short rounds; each variant's ratio to bare axios is taken per round and the median
// reported, so machine noise and drift hit all of them alike.
import axios from "axios";
import createAuthRefreshInterceptor from "axios-auth-refresh";
import axiosRetry from "axios-retry";
import { createMfaClient } from "../dist/index.js";
import { createMfaClient as createNodeClient } from "../dist/node-redirects/index.js";

const BASE = "https://api.example.com";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 300);

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

const token = "access-token";
const bare = axios.create({ baseURL: BASE, adapter });

// Ours (the default build, as browsers and bundlers get it), doing what the peer does (an access token on every request), and with an MFA session too
// (a second header), as an app has after its first step-up.
const ours = createMfaClient({ getAccessToken: () => token }).wrap(
  axios.create({ baseURL: BASE, adapter }),
);
// What Node resolves (the `node` export condition): the same, plus the guard that keeps credentials
// off a redirect to another origin (browsers follow redirects themselves, so theirs has none).
const oursNode = createNodeClient({ getAccessToken: () => token }).wrap(
  axios.create({ baseURL: BASE, adapter }),
);
const session = {
  token: "session-token",
  expiresAt: Date.now() + 3_600_000,
  acr: "mfa",
  amr: ["otp"],
  authTime: Date.now(),
};
const storage = { getItem: () => JSON.stringify(session), setItem() {}, removeItem() {} };
const withSession = createMfaClient({ getAccessToken: () => token, session: { storage } }).wrap(
  axios.create({ baseURL: BASE, adapter }),
);

// The peer: what people glue together today, with the usual token interceptor.
const peer = axios.create({ baseURL: BASE, adapter });
peer.interceptors.request.use((config) => {
  config.headers.Authorization = `Bearer ${token}`;
  return config;
});
axiosRetry(peer, { retries: 3, retryDelay: axiosRetry.exponentialDelay });
createAuthRefreshInterceptor(peer, async () => {});

const variants = {
  "bare axios": bare,
  "mfa-kit wrapped axios": ours,
  "axios-retry + axios-auth-refresh": peer,
  "mfa-kit wrapped axios, with session": withSession,
  "mfa-kit wrapped axios, node build": oursNode,
};

async function round(instance) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) await instance.get("/me");
  return Number(process.hrtime.bigint() - start) / PER_ROUND;
}

// Check that the wrapped instance really does its work before timing it.
const probe = await withSession.get("/me");
if (
  probe.config.headers.get("Authorization") !== `Bearer ${token}` ||
  probe.config.headers.get("X-Session-Token") !== session.token
) {
  throw new Error("The wrapped instance did not add its headers.");
}

const names = Object.keys(variants);
for (const name of names) await round(variants[name]); // warm-up
const ns = Object.fromEntries(names.map((name) => [name, []]));
const ratios = Object.fromEntries(names.map((name) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  // Short rounds in alternating order; each round's ratios pair measurements taken moments apart.
  const times = {};
  for (const name of r % 2 ? [...names].reverse() : names)
    times[name] = await round(variants[name]);
  for (const name of names) {
    ns[name].push(times[name]);
    ratios[name].push(times[name] / times["bare axios"]);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

console.log(
  `per-request overhead, in-process adapter, ${ROUNDS} rounds x ${PER_ROUND} requests (medians)`,
);
for (const name of names) {
  console.log(
    `${name.padEnd(37)} ${median(ns[name]).toFixed(0).padStart(7)} ns/request  ${median(ratios[name]).toFixed(3)} x bare axios`,
  );
}
const ours_ = median(ratios["mfa-kit wrapped axios"]);
const peer_ = median(ratios["axios-retry + axios-auth-refresh"]);
const met = ours_ <= 1.1 && ours_ < peer_;
console.log(
  `goal (<= 1.10 x bare and below the peer): ${met ? "met" : "NOT met"}, ${ours_.toFixed(3)} vs peer ${peer_.toFixed(3)}`,
);
