import { createHash, webcrypto } from "node:crypto";

// A software authenticator for tests: a P-256 key from WebCrypto, attestation "none", and the
// authenticator data, client data and DER signatures built by hand (WebAuthn Level 2 §6.1, §6.5).

type CborValue = number | string | Uint8Array | CborValue[] | Map<CborValue, CborValue>;

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 256) return [(major << 5) | 24, n];
  if (n < 65536) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** A minimal CBOR encoder (RFC 8949): integers, text, bytes, arrays and maps. */
function cbor(value: CborValue): Uint8Array {
  const out: number[] = [];
  const enc = (v: CborValue) => {
    if (typeof v === "number") out.push(...(v >= 0 ? head(0, v) : head(1, -1 - v)));
    else if (typeof v === "string") {
      const b = new TextEncoder().encode(v);
      out.push(...head(3, b.length), ...b);
    } else if (v instanceof Uint8Array) out.push(...head(2, v.length), ...v);
    else if (Array.isArray(v)) {
      out.push(...head(4, v.length));
      for (const x of v) enc(x);
    } else {
      out.push(...head(5, v.size));
      for (const [k, x] of v) {
        enc(k);
        enc(x);
      }
    }
  };
  enc(value);
  return Uint8Array.from(out);
}

const sha256 = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const u32 = (n: number) => Uint8Array.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);

// WebCrypto signs ECDSA as r ‖ s; WebAuthn wants ASN.1 DER.
function derSignature(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = concat(Uint8Array.of(0), v);
    return concat(Uint8Array.of(0x02, v.length), v);
  };
  const body = concat(int(raw.subarray(0, 32)), int(raw.subarray(32)));
  return concat(Uint8Array.of(0x30, body.length), body);
}

/** One credential on a software authenticator. */
export interface SoftAuthenticator {
  credentialId: string;
  /** The credential's COSE public key, base64url (what a WebAuthn server stores). */
  publicKey: string;
  /** Answers `navigator.credentials.create()` for registration options (JSON). */
  register(
    options: { challenge: string },
    overrides?: { userVerified?: boolean; transports?: string[] },
  ): Promise<Record<string, unknown>>;
  /** Answers `navigator.credentials.get()` for authentication options (JSON). */
  authenticate(
    options: { challenge: string },
    overrides?: {
      origin?: string;
      counter?: number;
      userVerified?: boolean;
      /** A synced passkey: the backup-eligible and backed-up flags set. */
      multiDevice?: boolean;
    },
  ): Promise<Record<string, unknown>>;
  /** The signature counter the next assertion carries (0 = this authenticator keeps none). */
  counter: number;
}

/** Creates a software authenticator for `rpId` at `origin`. */
export async function softAuthenticator(
  rpId: string,
  origin: string,
  options: { counter?: number } = {},
): Promise<SoftAuthenticator> {
  const keys = (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const jwk = await webcrypto.subtle.exportKey("jwk", keys.publicKey);
  const credId = webcrypto.getRandomValues(new Uint8Array(16));
  const coseKey = cbor(
    new Map<CborValue, CborValue>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, "base64url")],
      [-3, Buffer.from(jwk.y!, "base64url")],
    ]),
  );
  const rpIdHash = sha256(new TextEncoder().encode(rpId));
  const clientData = (type: string, challenge: string, at = origin) =>
    new TextEncoder().encode(JSON.stringify({ type, challenge, origin: at, crossOrigin: false }));

  const auth: SoftAuthenticator = {
    credentialId: b64url(credId),
    publicKey: b64url(coseKey),
    counter: options.counter ?? 0,
    async register({ challenge }, overrides = {}) {
      // flags: UP (0x01) | UV (0x04) | AT (0x40)
      const authData = concat(
        rpIdHash,
        Uint8Array.of(overrides.userVerified === false ? 0x41 : 0x45),
        u32(auth.counter),
        new Uint8Array(16),
        Uint8Array.of(credId.length >> 8, credId.length & 0xff),
        credId,
        coseKey,
      );
      const attestationObject = cbor(
        new Map<CborValue, CborValue>([
          ["fmt", "none"],
          ["attStmt", new Map()],
          ["authData", authData],
        ]),
      );
      return {
        id: auth.credentialId,
        rawId: auth.credentialId,
        type: "public-key",
        clientExtensionResults: {},
        authenticatorAttachment: "cross-platform",
        response: {
          clientDataJSON: b64url(clientData("webauthn.create", challenge)),
          attestationObject: b64url(attestationObject),
          transports: overrides.transports ?? ["usb"],
        },
      };
    },
    async authenticate({ challenge }, overrides = {}) {
      if (auth.counter > 0) auth.counter += 1;
      const counter = overrides.counter ?? auth.counter;
      // flags: UP (0x01) | UV (0x04), and BE (0x08) | BS (0x10) for a synced passkey
      const flags =
        (overrides.userVerified === false ? 0x01 : 0x05) | (overrides.multiDevice ? 0x18 : 0);
      const authData = concat(rpIdHash, Uint8Array.of(flags), u32(counter));
      const cd = clientData("webauthn.get", challenge, overrides.origin);
      const raw = new Uint8Array(
        await webcrypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          keys.privateKey,
          concat(authData, sha256(cd)),
        ),
      );
      return {
        id: auth.credentialId,
        rawId: auth.credentialId,
        type: "public-key",
        clientExtensionResults: {},
        response: {
          clientDataJSON: b64url(cd),
          authenticatorData: b64url(authData),
          signature: b64url(derSignature(raw)),
        },
      };
    },
  };
  return auth;
}
