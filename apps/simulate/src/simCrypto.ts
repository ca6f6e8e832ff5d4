import { createCipheriv, createDecipheriv, createHash, createHmac } from "node:crypto";
import type { MfaCrypto } from "@mfa-kit/server";
import type { Prng } from "./prng";

const IV = 12;
const TAG = 16;
const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * The kit's crypto for the simulation: `node:crypto` (synchronous, so every step of a verification
 * is a promise job the virtual clock waits for) with random bytes from the seeded source, so that
 * secrets, tokens and ids, and with them every outcome, are the same on every run of one seed.
 * Never for real secrets.
 */
export function simulationCrypto(random: Prng): MfaCrypto {
  return {
    name: "simulation",
    hmac: (algorithm, key, data) => createHmac(algorithm, buf(key)).update(buf(data)).digest(),
    sha256: (text) => createHash("sha256").update(text).digest("base64url"),
    randomBytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = random.int(256);
      return out;
    },
    timingSafeEqual: (a, b) => a.length === b.length && buf(a).equals(buf(b)),
    async seal(key, plaintext, aad) {
      const iv = Buffer.from(this.randomBytes(IV));
      const cipher = createCipheriv("aes-256-gcm", buf(key), iv).setAAD(buf(aad));
      const body = Buffer.concat([iv, cipher.update(buf(plaintext)), cipher.final()]);
      return Buffer.concat([body, cipher.getAuthTag()]);
    },
    async open(key, sealed, aad) {
      if (sealed.length < IV + TAG || key.length !== 32) return null;
      try {
        const decipher = createDecipheriv("aes-256-gcm", buf(key), buf(sealed.subarray(0, IV)));
        decipher.setAAD(buf(aad)).setAuthTag(buf(sealed.subarray(sealed.length - TAG)));
        const inner = sealed.subarray(IV, sealed.length - TAG);
        return Buffer.concat([decipher.update(buf(inner)), decipher.final()]);
      } catch {
        return null;
      }
    },
  };
}
