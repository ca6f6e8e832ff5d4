import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateSync } from "otplib";
import { createMfaServer, type MfaServer } from "../server";
import { memoryStore } from "../stores/memory";
import type { MfaStore } from "../stores/types";

/** A kit on a memory store whose reads can be made to fail, like a store whose backend is down. */
export interface KitFixture {
  mfa: MfaServer;
  /** While `true`, every store call rejects (the backend is "down"). */
  storeDown: boolean;
  /** The name of every store method called, in order. */
  calls: string[];
  /** Enrolls and activates a TOTP factor: its id, secret and the first set of backup codes. */
  enroll(userId: string): Promise<{ factorId: string; secret: string; backupCodes: string[] }>;
  /** The TOTP code of `secret` at the kit's clock plus `offsetSteps` steps. */
  code(secret: string, offsetSteps?: number): string;
  /** Moves the kit's clock forward. */
  advance(ms: number): void;
}

/** Builds a {@link KitFixture} (clock starting at a fixed instant). */
export function kitFixture(): KitFixture {
  let now = Date.UTC(2030, 0, 1, 12, 0, 0);
  const inner = memoryStore();
  const fixture: KitFixture = {
    storeDown: false,
    calls: [],
    mfa: undefined as unknown as MfaServer,
    async enroll(userId) {
      const { factorId, secret } = await fixture.mfa.enrollTotp(userId);
      const activated = await fixture.mfa.activateFactor(userId, factorId, fixture.code(secret));
      if (!activated.ok) throw new Error(`activation failed: ${activated.reason}`);
      return { factorId, secret, backupCodes: activated.backupCodes ?? [] };
    },
    code: (secret, offsetSteps = 0) =>
      generateSync({ secret, epoch: Math.floor(now / 1000) + offsetSteps * 30 }),
    advance(ms) {
      now += ms;
    },
  };
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        fixture.calls.push(String(name));
        return fixture.storeDown
          ? Promise.reject(new Error("store backend unreachable"))
          : value.apply(target, args);
      };
    },
  }) as MfaStore;
  fixture.mfa = createMfaServer({
    issuer: "Adapter Test",
    accountName: (userId) => userId,
    store,
    encryptionKeys: { current: "k1", keys: { k1: Buffer.alloc(32, 7).toString("base64url") } },
    now: () => now,
  });
  return fixture;
}

/** Serves `listener` on a free loopback port; `close` ends every connection. */
export async function listen(
  listener: RequestListener,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
