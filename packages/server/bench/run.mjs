// npm run bench: the kit's TOTP verify and session check against their baselines, in one run.
//
//   verify:       mfa.verify() through the built kit (memory store, limiter, replay guard, sealed
//                 secret, session issued) vs. bare otplib verifySync (its default noble crypto,
//                 window ±1) vs. a bare node:crypto HMAC + truncation loop.
//   checkSession: mfa.checkSession() (one store lookup; the token's hash too when the token is new
//                 to the process) vs. jose HS256 jwtVerify, the stateless peer.
//
// Contestants run in interleaved 100 ms slices, so load from other processes hits them alike and
// the ratios hold on a busy machine. Runs against dist/ (build first) with plain node; ~20 s.
import { createHmac, createSecretKey } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { generateSecret, generateSync, verifySync } from "otplib";

const nodeKit = await import("@mfa-kit/server"); // the `node` export condition: node:crypto
const portableKit = await import("../dist/index.js"); // what browsers and edge runtimes get

const USERS = 1000;
const STEPS = 120;
const SLICE_MS = 100;
const SLICES = 12;
/** Live sessions the session check goes over: twice the default token hash cache (10 000). */
const TOKENS = 20_000;

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const base32 = (s) => {
  const out = [];
  let bits = 0;
  let acc = 0;
  for (const c of s) {
    acc = ((acc << 5) | B32.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
};
const hotp = (key, counter) => {
  const msg = Buffer.alloc(8);
  msg.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  msg.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac("sha1", key).update(msg).digest();
  const o = mac[mac.length - 1] & 0xf;
  const bin = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(bin % 1e6).padStart(6, "0");
};

/** A kit with USERS users enrolled, and a queue of fresh codes: each user once per 30 s step. */
async function kitContestant(kit) {
  const clock = { now: 1_700_000_000_000 };
  const mfa = kit.createMfaServer({
    issuer: "Bench",
    // Authenticator apps show the account name beside the issuer: enrolling needs one.
    accountName: (userId) => `${userId}@bench.test`,
    encryptionKeys: { current: "k1", keys: { k1: Buffer.alloc(32, 9).toString("base64") } },
    sessions: { ttlMs: 24 * 3_600_000, maxLifetimeMs: 24 * 3_600_000 },
    now: () => clock.now,
  });
  const start = Math.floor(clock.now / 30_000);
  const users = [];
  for (let u = 0; u < USERS; u++) {
    const userId = `user-${u}`;
    const { factorId, secret } = await mfa.enrollTotp(userId);
    const key = base32(secret);
    const activated = await mfa.activateFactor(userId, factorId, hotp(key, start));
    if (!activated.ok) throw new Error(`activation failed: ${activated.reason}`);
    users.push({ userId, factorId, key });
  }
  // Codes computed up front, so the timed slices measure verification only.
  const inputs = [];
  for (let step = start + 1; step <= start + STEPS; step++) {
    for (const u of users) {
      inputs.push({
        now: step * 30_000,
        userId: u.userId,
        factorId: u.factorId,
        code: hotp(u.key, step),
      });
    }
  }
  let next = 0;
  const tokens = [];
  return {
    /** Verifies fresh codes for about `ms`; returns how many. */
    async verify(ms) {
      const until = performance.now() + ms;
      let ops = 0;
      do {
        for (let j = 0; j < 50; j++, ops++) {
          const input = inputs[next++];
          if (!input) throw new Error("bench ran out of codes: raise STEPS");
          clock.now = input.now;
          const r = await mfa.verify(input);
          if (!r.ok) throw new Error(`verify failed: ${r.reason}`);
          if (tokens.length < TOKENS) tokens.push(r.session.token);
        }
      } while (performance.now() < until);
      return ops;
    },
    /**
     * Verifies (untimed) until there are TOKENS live sessions: a slow machine's timed slices may
     * have opened fewer, and fewer than twice the hash cache would fit in it.
     */
    async fill() {
      while (tokens.length < TOKENS) await this.verify(0);
    },
    /**
     * Checks sessions for about `ms`, over `count` live tokens in turn (all of them by default);
     * returns how many. 1 000 tokens fit the token hash cache (10 000): a busy API's sessions.
     * All 20 000 in turn never hit it (each was pushed out before its turn comes again): every
     * check hashes, the worst case.
     */
    async check(ms, count = tokens.length) {
      const until = performance.now() + ms;
      let ops = 0;
      do {
        for (let j = 0; j < 200; j++, ops++) {
          const r = await mfa.checkSession(tokens[ops % count]);
          if (!r.ok) throw new Error("session check failed");
        }
      } while (performance.now() < until);
      return ops;
    },
  };
}

/** Runs `fn` (sync or async, one op per call) for about `ms`; returns how many. */
const loop = (fn) => async (ms) => {
  const until = performance.now() + ms;
  let ops = 0;
  do {
    for (let j = 0; j < 50; j++, ops++) await fn(ops);
  } while (performance.now() < until);
  return ops;
};

/** Interleaves the contestants slice by slice; returns ops/s for each. */
async function race(contestants) {
  const totals = Object.fromEntries(Object.keys(contestants).map((k) => [k, { ops: 0, ms: 0 }]));
  for (const run of Object.values(contestants)) await run(50); // warm-up
  for (let s = 0; s < SLICES; s++) {
    for (const [name, run] of Object.entries(contestants)) {
      const t = performance.now();
      totals[name].ops += await run(SLICE_MS);
      totals[name].ms += performance.now() - t;
    }
  }
  return Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, (v.ops / v.ms) * 1000]));
}

const node = await kitContestant(nodeKit);
const portable = await kitContestant(portableKit);

const secret = generateSecret();
const otpKey = base32(secret);
const otplibToken = () => generateSync({ secret });
let token = otplibToken();
let tokenAt = Date.now();
const hmacKey = Buffer.alloc(20, 7);

const verify = await race({
  kitNode: node.verify,
  kitPortable: portable.verify,
  otplib: loop(() => {
    if (Date.now() - tokenAt > 5000) {
      token = otplibToken();
      tokenAt = Date.now();
    }
    if (!verifySync({ secret, token, epochTolerance: 30 }).valid) throw new Error("otplib failed");
  }),
  hmac: loop((i) => hotp(hmacKey, i)),
});
void otpKey;

// A KeyObject, imported once, as a tuned app would hold it (a raw Uint8Array makes jose import
// the key on every call, which would flatter the kit).
const jwtKey = createSecretKey(new Uint8Array(32).fill(5));
const jwts = [];
for (let i = 0; i < 1000; i++) {
  jwts.push(
    await new SignJWT({ acr: "mfa", amr: ["otp"], auth_time: 1_700_000_000 })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(`user-${i}`)
      .setExpirationTime("1h")
      .sign(jwtKey),
  );
}
await node.fill();
await portable.fill();
const check = await race({
  kitNode: (ms) => node.check(ms, 1000),
  kitNodeMiss: node.check,
  kitPortable: (ms) => portable.check(ms, 1000),
  kitPortableMiss: portable.check,
  jose: loop((i) => jwtVerify(jwts[i % jwts.length], jwtKey)),
});

const fmt = (n) => Math.round(n).toLocaleString("en-US").padStart(9);
const line = (name, ops, note = "") =>
  console.log(`${name.padEnd(40)} ${fmt(ops)} ops/s${note ? `  ${note}` : ""}`);
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

console.log(
  `\n@mfa-kit/server bench (node ${process.version}, ${USERS} users, interleaved slices)\n`,
);
line(
  "verify (TOTP), kit, node condition",
  verify.kitNode,
  "memory store + limiter + replay guard + session",
);
line("verify (TOTP), kit, portable build", verify.kitPortable);
line("otplib verifySync, window ±1", verify.otplib, "bare, default noble crypto");
line("node:crypto HMAC-SHA1 + truncation", verify.hmac, "bare loop");
line("checkSession, kit, node condition", check.kitNode, "1 000 live tokens: one store lookup");
line("  every token new to the hash cache", check.kitNodeMiss, "20 000 in turn: hash + lookup");
line("checkSession, kit, portable build", check.kitPortable);
line("  every token new to the hash cache", check.kitPortableMiss);
line("jose HS256 jwtVerify", check.jose, "stateless peer");
console.log("");
console.log(
  `verify:       kit ${ratio(verify.kitNode, verify.otplib)} bare otplib (goal >= 1.00x), portable ${ratio(verify.kitPortable, verify.otplib)}`,
);
console.log(
  `checkSession: kit ${ratio(check.kitNode, check.jose)} jose HS256 (goal > 1.00x), portable ${ratio(check.kitPortable, check.jose)}; ` +
    `every token new: kit ${ratio(check.kitNodeMiss, check.jose)}, portable ${ratio(check.kitPortableMiss, check.jose)}`,
);
