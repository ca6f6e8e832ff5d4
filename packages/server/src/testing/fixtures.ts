import { generateSync } from "otplib";
import { nodeCrypto } from "../crypto/node";
import type { MfaEvent } from "../events/types";
import type { MfaServerOptions, OtpMessage } from "../options";
import { createMfaServer, type MfaServer } from "../server";
import { type MemoryStore, memoryStore } from "../stores/memory";
import type { MfaStore } from "../stores/types";

/** 2023-11-14T22:13:20Z: a fixed start for every test clock. */
export const T0 = 1_700_000_000_000;

/** Two fixed test keys (32 bytes each, base64). */
export const KEYS = {
  k1: Buffer.alloc(32, 1).toString("base64"),
  k2: Buffer.alloc(32, 2).toString("base64"),
};

/** A kit on a settable clock, with its store, sent messages and events at hand. */
export interface TestKit {
  mfa: MfaServer;
  store: MemoryStore;
  clock: { now: number };
  sent: OtpMessage[];
  events: MfaEvent[];
  /** Advances the test clock. */
  tick(ms: number): void;
  /** Delivered events of one type (call `await mfa.flushEvents()` or advance fake timers first). */
  eventsOf<T extends MfaEvent["type"]>(type: T): Extract<MfaEvent, { type: T }>[];
}

/** A kit with a memory store, keys k1/k2 (current k1), a settable clock and an SMS/e-mail outbox. */
export function testKit(overrides: Partial<MfaServerOptions> = {}): TestKit {
  const store = (overrides.store as MemoryStore | undefined) ?? memoryStore();
  const clock = { now: T0 };
  const sent: OtpMessage[] = [];
  const events: MfaEvent[] = [];
  const mfa = createMfaServer({
    issuer: "Acme",
    accountName: (userId) => `${userId}@example.com`,
    store,
    encryptionKeys: { current: "k1", keys: KEYS },
    otp: { send: (m) => void sent.push(m) },
    webauthn: { rpID: "example.com", rpName: "Acme", origin: "https://example.com" },
    onEvent: (e) => void events.push(e),
    now: () => clock.now,
    crypto: nodeCrypto,
    ...overrides,
  });
  return {
    mfa,
    store,
    clock,
    sent,
    events,
    tick: (ms) => {
      clock.now += ms;
    },
    eventsOf: <T extends MfaEvent["type"]>(type: T) =>
      events.filter((e): e is Extract<MfaEvent, { type: T }> => e.type === type),
  };
}

/** The TOTP code of a base32 secret at a time, computed by otplib (an independent implementation). */
export function totpCode(
  secret: string,
  atMs: number,
  opts: { digits?: number; algorithm?: "sha1" | "sha256" | "sha512"; period?: number } = {},
): string {
  return generateSync({
    secret,
    epoch: Math.floor(atMs / 1000),
    digits: opts.digits ?? 6,
    algorithm: opts.algorithm ?? "sha1",
    period: opts.period ?? 30,
  });
}

/** The HOTP code of a base32 secret at a counter, computed by otplib. */
export function hotpCode(secret: string, counter: number): string {
  return generateSync({ secret, strategy: "hotp", counter });
}

/** A wrong code that is still well-formed: the right one with its first digit changed. */
export const wrong = (code: string) => `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;

/** A user with an active TOTP factor; returns its secret, factor id and backup codes. */
export async function userWithTotp(kit: TestKit, userId = "alice") {
  const { factorId, secret, otpauthUri } = await kit.mfa.enrollTotp(userId, {
    label: "alice@acme.test",
  });
  const activated = await kit.mfa.activateFactor(userId, factorId, totpCode(secret, kit.clock.now));
  if (!activated.ok) throw new Error(`activation failed: ${activated.reason}`);
  // The activation code used the current step: move on so the next code is fresh.
  kit.tick(30_000);
  return {
    userId,
    factorId,
    secret,
    otpauthUri,
    backupCodes: activated.backupCodes ?? [],
    /** The MFA session the activation opened (a fresh one, for adding more factors). */
    sessionToken: activated.session!.token,
  };
}

/** A memory store that records the name of every method called on it, in order. */
export function countingStore(): { store: MfaStore; calls: string[] } {
  const calls: string[] = [];
  const store = new Proxy(memoryStore(), {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return value.apply(target, args);
      };
    },
  }) as MfaStore;
  return { store, calls };
}
