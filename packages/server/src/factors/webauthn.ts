import type { WebAuthnJSON } from "@mfa-kit/protocol";
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { cose, decodeCredentialPublicKey } from "@simplewebauthn/server/helpers";
import type { KitContext } from "../context";
import { fromBase64, fromUtf8, toBase64Url, utf8 } from "../crypto/encoding";
import type { CredentialCheck, FactorRecord } from "../stores/types";
import { forgetFactors, loadFactors } from "./factorCache";
import { isActive, newFactorId } from "./factorRecord";

const REGISTRATION_KEY = "webauthn-registration";
const challengeKey = (challenge: string) => `webauthn:${challenge}`;

const rp = (ctx: KitContext) => {
  const config = ctx.options.webauthn;
  if (!config) {
    throw new TypeError("createMfaServer: the `webauthn` option (rpID, origin) enables WebAuthn.");
  }
  return config;
};

// A stable, opaque WebAuthn user handle: the user id never reaches the authenticator.
const userHandle = (ctx: KitContext, userId: string) =>
  ctx.crypto.hmac("sha256", utf8("mfa-kit/webauthn-user-handle/v1"), utf8(userId));

// simplewebauthn wants ArrayBuffer-backed views.
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

const transportsOf = (record: FactorRecord): string[] | undefined => {
  const list = (record.transports ?? "").split(",").filter(Boolean);
  return list.length > 0 ? list : undefined;
};

/** The active WebAuthn credentials among a user's factors: factor id and record. */
export const credentials = (factors: Record<string, FactorRecord>) =>
  Object.entries(factors).filter(([, r]) => isActive(r) && r.type === "webauthn");

/** Registration options for `startRegistration()`; the challenge is kept for one ceremony. */
export async function registrationOptions(
  ctx: KitContext,
  userId: string,
  user: { userName?: string; userDisplayName?: string } = {},
): Promise<WebAuthnJSON> {
  const config = rp(ctx);
  const existing = credentials((await loadFactors(ctx, userId)).factors);
  const options = await generateRegistrationOptions({
    rpName: config.rpName,
    rpID: config.rpIDs[0]!,
    supportedAlgorithmIDs: config.supportedAlgorithmIDs,
    userName: user.userName ?? userId,
    userDisplayName: user.userDisplayName ?? user.userName ?? userId,
    userID: own(userHandle(ctx, userId)),
    challenge: own(ctx.crypto.randomBytes(32)),
    timeout: config.challengeTtlMs,
    attestationType: "none",
    excludeCredentials: existing.map(([, r]) => {
      const transports = transportsOf(r);
      return { id: r.credentialId ?? "", ...(transports ? { transports } : {}) };
    }),
    authenticatorSelection: {
      residentKey: "preferred",
      userVerification: config.userVerification,
    },
  });
  await ctx.store.putChallenge(
    userId,
    REGISTRATION_KEY,
    options.challenge,
    config.challengeTtlMs,
    ctx.now(),
  );
  return options as unknown as WebAuthnJSON;
}

/** The outcome of a registration. */
export type RegistrationOutcome =
  | { ok: true; factorId: string; record: FactorRecord }
  | { ok: false; reason: "code_expired" | "invalid_code" };

/** Verifies a registration response against the pending challenge and stores the credential. */
export async function verifyRegistration(
  ctx: KitContext,
  userId: string,
  response: unknown,
  label: string | undefined,
): Promise<RegistrationOutcome> {
  const config = rp(ctx);
  const expected = await ctx.store.takeChallenge(userId, REGISTRATION_KEY, ctx.now());
  if (expected === null) return { ok: false, reason: "code_expired" };
  let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>["registrationInfo"];
  try {
    const result = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: expected,
      expectedOrigin: config.origin,
      expectedRPID: config.rpIDs,
      requireUserVerification: config.userVerification === "required",
      supportedAlgorithmIDs: config.supportedAlgorithmIDs,
    });
    if (!result.verified) return { ok: false, reason: "invalid_code" };
    info = result.registrationInfo;
  } catch {
    return { ok: false, reason: "invalid_code" };
  }
  const { credential } = info;
  for (;;) {
    const factorId = newFactorId(ctx);
    const record: FactorRecord = {
      type: "webauthn",
      status: "active",
      createdAt: String(ctx.now()),
      label: (label || "Security key").slice(0, 128),
      credentialId: credential.id,
      publicKey: toBase64Url(credential.publicKey),
      counter: String(credential.counter),
      transports: (credential.transports ?? []).join(","),
      deviceType: info.credentialDeviceType,
      backedUp: String(info.credentialBackedUp),
      aaguid: info.aaguid,
    };
    if (await ctx.store.createFactor(userId, factorId, record)) {
      forgetFactors(ctx, userId);
      return { ok: true, factorId, record };
    }
  }
}

/** Authentication options for `startAuthentication()`, allowing every active credential. */
export async function authenticationOptions(
  ctx: KitContext,
  userId: string,
): Promise<{ challenge: string; options: WebAuthnJSON }> {
  const config = rp(ctx);
  const existing = credentials((await loadFactors(ctx, userId)).factors);
  const options = await generateAuthenticationOptions({
    rpID: config.rpIDs[0]!,
    challenge: own(ctx.crypto.randomBytes(32)),
    timeout: config.challengeTtlMs,
    userVerification: config.userVerification,
    allowCredentials: existing.map(([, r]) => {
      const transports = transportsOf(r);
      return { id: r.credentialId ?? "", ...(transports ? { transports } : {}) };
    }),
  });
  await ctx.store.putChallenge(
    userId,
    challengeKey(options.challenge),
    "1",
    config.challengeTtlMs,
    ctx.now(),
  );
  return { challenge: options.challenge, options: options as unknown as WebAuthnJSON };
}

/**
 * Makes `challenge` (base64url, one the app generated: at least 16 random bytes) acceptable for one
 * authentication ceremony of `userId`, like one `startChallenge` issued: `verify` then takes it
 * once. Throws a `TypeError` for a challenge too short or too long.
 */
export async function expectChallenge(ctx: KitContext, userId: string, challenge: string) {
  const config = rp(ctx);
  if (typeof challenge !== "string" || !/^[\w-]{22,256}$/.test(challenge)) {
    throw new TypeError(
      "expectWebauthnChallenge: `challenge` must be base64url of at least 16 random bytes (22 to 256 characters).",
    );
  }
  await ctx.store.putChallenge(
    userId,
    challengeKey(challenge),
    "1",
    config.challengeTtlMs,
    ctx.now(),
  );
}

/** The challenge a WebAuthn response signed, read from its `clientDataJSON`; `null` if unreadable. */
export function signedChallenge(response: unknown): string | null {
  const data = (response as { response?: { clientDataJSON?: unknown } } | null)?.response
    ?.clientDataJSON;
  if (typeof data !== "string" || data.length > 8192) return null;
  const bytes = fromBase64(data);
  if (!bytes) return null;
  try {
    const parsed = JSON.parse(fromUtf8(bytes)) as { challenge?: unknown };
    return typeof parsed.challenge === "string" && parsed.challenge.length <= 256
      ? parsed.challenge
      : null;
  } catch {
    return null;
  }
}

/**
 * The check of an assertion, from a snapshot of the user's factors: its signature is verified here
 * against the credential it names; the store's `verifyAttempt` then takes its challenge (one the
 * kit issued, used once, else `code_expired`) and, when the authenticator keeps a signature
 * counter, moves the counter up (the replay guard). `null` when the snapshot holds no credential of
 * that id (it may be out of date: the caller reads again before counting a failure).
 */
export async function assertionCheck(
  ctx: KitContext,
  factors: Record<string, FactorRecord>,
  response: unknown,
  now: number,
): Promise<CredentialCheck | null> {
  const config = rp(ctx);
  const challenge = signedChallenge(response);
  if (challenge === null) return unknownCredentialCheck(response);
  const id = (response as { id?: unknown }).id;
  const found = credentials(factors).find(([, r]) => r.credentialId === id);
  if (!found) return null;
  const [factorId, record] = found;
  const base = {
    factorId,
    expect: { status: record.status ?? "" },
    challenge: challengeKey(challenge),
  };
  const failed: CredentialCheck = {
    ...base,
    acr: "phr",
    amr: [],
    kind: "none",
    failure: "invalid_code",
  };
  const publicKey = fromBase64(record.publicKey ?? "");
  if (!publicKey) return failed;
  const counter = Number(record.counter) || 0;
  let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    const transports = transportsOf(record);
    result = await verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: config.origin,
      expectedRPID: config.rpIDs,
      credential: {
        id: record.credentialId ?? "",
        publicKey: own(publicKey),
        counter,
        ...(transports ? { transports: transports as never } : {}),
      },
      requireUserVerification: config.userVerification === "required",
    });
  } catch {
    return failed;
  }
  if (!result.verified) return failed;
  const { newCounter, userVerified, credentialDeviceType } = result.authenticationInfo;
  const amr = [credentialDeviceType === "multiDevice" ? "swk" : "hwk"];
  if (userVerified) amr.push("user");
  amr.push("mfa");
  const pass = { ...base, acr: "phr", amr, patch: { lastUsedAt: String(now) } };
  // Authenticators without a counter always send 0; one that has a counter must move it forward.
  return newCounter > 0 || counter > 0
    ? { ...pass, kind: "counter", field: "counter", value: newCounter }
    : { ...pass, kind: "match" };
}

/**
 * The failing check of an assertion that names no credential of the user (or is unreadable): its
 * challenge, when it has one, is used up all the same.
 */
export function unknownCredentialCheck(response: unknown): CredentialCheck {
  const challenge = signedChallenge(response);
  return {
    acr: "phr",
    amr: [],
    kind: "none",
    failure: "invalid_code",
    ...(challenge !== null ? { challenge: challengeKey(challenge) } : {}),
  };
}

/** A credential registered elsewhere, as {@link importCredential} takes it. */
export interface ImportedWebauthnCredential {
  /** The credential id, base64url (as `PublicKeyCredential.id`). */
  id: string;
  /** The COSE public key, base64url (or base64), as another WebAuthn server stored it. */
  publicKey: string;
  /** The last signature counter seen. Defaults to `0`. */
  counter?: number;
  /** The transports the authenticator reported (`usb`, `nfc`, `ble`, `internal`, `hybrid`, ...). */
  transports?: string[];
  /** The name shown in the factor list. Defaults to `"Security key"`. */
  label?: string;
}

const TRANSPORTS = ["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"];

/**
 * Checks and stores a credential registered by another WebAuthn server as an active factor. The
 * public key must be a COSE key of an algorithm in `webauthn.supportedAlgorithmIDs`, the id a
 * base64url credential id no active factor of the user already has. A `TypeError` names what is
 * wrong; nothing is stored then.
 */
export async function importCredential(
  ctx: KitContext,
  userId: string,
  input: ImportedWebauthnCredential,
): Promise<{ factorId: string; record: FactorRecord }> {
  const config = rp(ctx);
  const { id, counter = 0, transports = [], label } = input ?? ({} as ImportedWebauthnCredential);
  if (typeof id !== "string" || !/^[\w-]{16,1366}$/.test(id)) {
    throw new TypeError("importWebauthnCredential: `id` must be the base64url credential id.");
  }
  const publicKey = typeof input.publicKey === "string" ? fromBase64(input.publicKey) : null;
  const alg = publicKey ? coseAlgorithm(publicKey) : undefined;
  if (!publicKey || alg === undefined) {
    throw new TypeError(
      "importWebauthnCredential: `publicKey` must be a base64url COSE public key.",
    );
  }
  if (!config.supportedAlgorithmIDs.includes(alg)) {
    throw new TypeError(
      `importWebauthnCredential: the key's algorithm ${alg} is not in webauthn.supportedAlgorithmIDs (${config.supportedAlgorithmIDs.join(", ")}).`,
    );
  }
  if (!Number.isSafeInteger(counter) || counter < 0 || counter > 0xffff_ffff) {
    throw new TypeError(
      "importWebauthnCredential: `counter` must be an integer from 0 to 2^32 - 1.",
    );
  }
  if (!Array.isArray(transports) || !transports.every((t) => TRANSPORTS.includes(t))) {
    throw new TypeError(
      `importWebauthnCredential: \`transports\` may list only ${TRANSPORTS.join(", ")}.`,
    );
  }
  if (label !== undefined && typeof label !== "string") {
    throw new TypeError("importWebauthnCredential: `label` must be a string.");
  }
  if (
    credentials((await loadFactors(ctx, userId)).factors).some(([, r]) => r.credentialId === id)
  ) {
    throw new TypeError("importWebauthnCredential: the user already has this credential.");
  }
  for (;;) {
    const factorId = newFactorId(ctx);
    const record: FactorRecord = {
      type: "webauthn",
      status: "active",
      createdAt: String(ctx.now()),
      label: (label || "Security key").slice(0, 128),
      credentialId: id,
      publicKey: toBase64Url(publicKey),
      counter: String(counter),
      transports: transports.join(","),
      imported: "true",
    };
    if (await ctx.store.createFactor(userId, factorId, record)) {
      forgetFactors(ctx, userId);
      return { factorId, record };
    }
  }
}

// The `alg` of a COSE_Key (RFC 9052 §7) with a key type; `undefined` for anything else.
function coseAlgorithm(bytes: Uint8Array): number | undefined {
  try {
    const key = decodeCredentialPublicKey(own(bytes));
    const alg = key.get(cose.COSEKEYS.alg);
    return key.get(cose.COSEKEYS.kty) !== undefined && Number.isSafeInteger(alg)
      ? Number(alg)
      : undefined;
  } catch {
    return undefined;
  }
}
