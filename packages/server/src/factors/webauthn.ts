import type { WebAuthnJSON } from "@mfa-kit/protocol";
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
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
    rpID: config.rpID,
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
      expectedRPID: config.rpID,
      requireUserVerification: config.userVerification === "required",
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
    rpID: config.rpID,
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

/** The challenge a WebAuthn response signed, read from its `clientDataJSON`; `null` if unreadable. */
function signedChallenge(response: unknown): string | null {
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
      expectedRPID: config.rpID,
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
