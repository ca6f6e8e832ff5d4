import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import { fromBase64, fromUtf8, toBase64Url, utf8 } from "../crypto/encoding";
import type { MfaCrypto } from "../crypto/types";

/** The encryption keys for secrets at rest: a key id per key, and which one seals new values. */
export interface EncryptionKeys {
  /** The id of the key that seals new values. */
  current: string;
  /** Every key that may still open stored values, by id: 32 bytes, base64 or base64url. */
  keys: Record<string, string>;
}

/** What {@link KeyRing.open} found. */
interface OpenedSecret {
  plaintext: Uint8Array;
  /** The id of the key that had sealed the value. */
  keyId: string;
  /** `true` when that key is not the current one: re-seal the value. */
  stale: boolean;
}

/** AES-256-GCM under a key id, with rotation: `seal` uses the current key, `open` any key. */
export interface KeyRing {
  /** The id of the key new values are sealed with. */
  readonly currentId: string;
  /** Seals `plaintext`, bound to `context` (e.g. the user and factor ids): `v1.<keyId>.<data>`. */
  seal(plaintext: Uint8Array, context: string): Promise<string>;
  /** Opens a sealed value bound to `context`; `null` when the key is unknown or the value altered. */
  open(sealed: string, context: string): Promise<OpenedSecret | null>;
  /** A 32-byte key for `purpose`, derived from key `keyId` (default the current one). */
  derive(purpose: string, keyId?: string): Uint8Array | null;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Builds a {@link KeyRing} from configuration; throws an `MfaOptionError` naming the problem (an unknown
 * current id, a key that is not 32 bytes of base64, a key id with characters other than letters,
 * digits, `_` and `-`).
 */
export function createKeyRing(config: EncryptionKeys, crypto: MfaCrypto): KeyRing {
  if (typeof config !== "object" || config === null || typeof config.keys !== "object") {
    throw new MfaOptionError(
      "encryptionKeys",
      "encryptionKeys must be { current: string, keys: { [id]: base64 } }.",
    );
  }
  const keys = new Map<string, Uint8Array>();
  for (const [id, value] of Object.entries(config.keys)) {
    if (!KEY_ID.test(id)) {
      throw new MfaOptionError(
        "encryptionKeys.keys",
        `encryptionKeys: key id ${JSON.stringify(id)} must be 1-64 letters, digits, "_" or "-".`,
      );
    }
    const bytes = typeof value === "string" ? fromBase64(value.trim()) : null;
    if (bytes?.length !== 32) {
      throw new MfaOptionError(
        "encryptionKeys.keys",
        `encryptionKeys: key ${JSON.stringify(id)} must be 32 random bytes in base64 (44 characters), e.g. from \`openssl rand -base64 32\`.`,
      );
    }
    keys.set(id, bytes);
  }
  if (!keys.has(config.current)) {
    throw new MfaOptionError(
      "encryptionKeys.current",
      `encryptionKeys.current (${JSON.stringify(config.current)}) names no key in encryptionKeys.keys.`,
    );
  }
  const currentId = config.current;
  const derived = new Map<string, Uint8Array>();

  return {
    currentId,
    async seal(plaintext, context) {
      const key = keys.get(currentId)!;
      const sealed = await crypto.seal(key, plaintext, utf8(`${currentId}\n${context}`));
      return `v1.${currentId}.${toBase64Url(sealed)}`;
    },
    async open(sealed, context) {
      const [version, keyId = "", data = "", ...rest] = String(sealed).split(".");
      if (version !== "v1" || rest.length > 0) return null;
      const key = keys.get(keyId);
      const bytes = fromBase64(data);
      if (!key || !bytes) return null;
      const plaintext = await crypto.open(key, bytes, utf8(`${keyId}\n${context}`));
      return plaintext ? { plaintext, keyId, stale: keyId !== currentId } : null;
    },
    derive(purpose, keyId = currentId) {
      const cacheKey = `${keyId}\n${purpose}`;
      let key = derived.get(cacheKey);
      if (!key) {
        const base = keys.get(keyId);
        if (!base) return null;
        key = crypto.hmac("sha256", base, utf8(`mfa-kit/derive/v1\n${purpose}`));
        derived.set(cacheKey, key);
      }
      return key;
    },
  };
}

/** Opens a sealed UTF-8 string; `null` when it cannot be opened. */
export async function openText(
  ring: KeyRing,
  sealed: string,
  context: string,
): Promise<{ text: string; stale: boolean } | null> {
  const opened = await ring.open(sealed, context);
  if (!opened) return null;
  try {
    return { text: fromUtf8(opened.plaintext), stale: opened.stale };
  } catch {
    return null;
  }
}
