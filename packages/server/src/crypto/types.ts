/** The HMAC digests the kit uses (TOTP/HOTP allow all three; the kit's own hashing uses SHA-256). */
export type HashAlgorithm = "sha1" | "sha256" | "sha512";

/**
 * The one small crypto interface every hash, random value and seal in the kit goes through. Two
 * implementations produce identical bytes: the portable one (`@noble/hashes` through otplib for
 * HMAC, WebCrypto for AES-GCM and randomness) and a `node:crypto` one, which the `node` export
 * condition selects. Servers of both kinds can share one store.
 */
export interface MfaCrypto {
  /** A short name for diagnostics (`"portable"`, `"node"`). */
  readonly name: string;
  /** HMAC of `data` under `key`, synchronously. */
  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * SHA-256 of the UTF-8 bytes of `text`, as unpadded base64url: the store key of a session token
   * (a random 256-bit token needs no key, only a one-way function). The session check's one hash.
   */
  sha256(text: string): string;
  /** `length` bytes from a CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** Whether `a` and `b` are equal, in time independent of where they differ. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
  /**
   * AES-256-GCM: encrypts `plaintext` under a 32-byte `key` with a fresh 96-bit IV, authenticating
   * `aad`. Returns `iv ‖ ciphertext ‖ tag`.
   */
  seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Reverses {@link MfaCrypto.seal}; `null` when the key, the AAD or the bytes do not match. */
  open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null>;
}

/** Bytes of the AES-GCM IV and tag in a sealed value. */
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
