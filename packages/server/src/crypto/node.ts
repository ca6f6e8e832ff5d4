import * as nodeCryptoModule from "node:crypto";
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  timingSafeEqual as nodeTimingSafeEqual,
  randomFillSync,
} from "node:crypto";
import { timingSafeEqual } from "./timingSafeEqual";
import { type HashAlgorithm, IV_BYTES, type MfaCrypto, TAG_BYTES } from "./types";

const view = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
// Plain Uint8Array views (no copy), so callers never see Buffer's extra behaviour.
const plain = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

// Small random values (ids, tokens, IVs) come from a pool refilled 4 KB at a time: one
// randomFillSync call per pool instead of one per value. Each value is copied out, so no caller
// ever holds a view into the pool.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;
function pooledRandom(length: number): Uint8Array {
  if (length > 256) return plain(randomFillSync(Buffer.alloc(length)));
  if (poolOffset + length > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = new Uint8Array(length);
  out.set(pool.subarray(poolOffset, poolOffset + length));
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

// `crypto.hash` (Node >= 20.12) is a one-shot digest without a Hash object: several times faster
// for short inputs. Looked up on the namespace, so older Node 20 releases fall back to createHash.
const oneShot = (
  nodeCryptoModule as { hash?: (alg: string, data: string, enc: "base64url") => string }
).hash;
const sha256: (text: string) => string = oneShot
  ? (text) => oneShot("sha256", text, "base64url")
  : (text) => createHash("sha256").update(text).digest("base64url");

/**
 * The `node:crypto` implementation, selected by the `node` export condition: the same bytes as
 * the portable one, about five times faster for HMAC (one TOTP check is one HMAC).
 */
export const nodeCrypto: MfaCrypto = {
  name: "node",
  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return plain(createHmac(algorithm, view(key)).update(view(data)).digest());
  },
  sha256,
  randomBytes(length: number): Uint8Array {
    return pooledRandom(length);
  },
  timingSafeEqual(a, b) {
    // node's version throws on different lengths; the length itself is not secret here.
    return a.length === b.length ? nodeTimingSafeEqual(view(a), view(b)) : timingSafeEqual(a, b);
  },
  async seal(key, plaintext, aad) {
    const iv = view(pooledRandom(IV_BYTES));
    const cipher = createCipheriv("aes-256-gcm", view(key), iv);
    cipher.setAAD(view(aad));
    const body = Buffer.concat([iv, cipher.update(view(plaintext)), cipher.final()]);
    return plain(Buffer.concat([body, cipher.getAuthTag()]));
  },
  async open(key, sealed, aad) {
    if (sealed.length < IV_BYTES + TAG_BYTES || key.length !== 32) return null;
    try {
      const decipher = createDecipheriv(
        "aes-256-gcm",
        view(key),
        view(sealed.subarray(0, IV_BYTES)),
      );
      decipher.setAAD(view(aad));
      decipher.setAuthTag(view(sealed.subarray(sealed.length - TAG_BYTES)));
      return plain(
        Buffer.concat([
          decipher.update(view(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES))),
          decipher.final(),
        ]),
      );
    } catch {
      return null;
    }
  },
};
