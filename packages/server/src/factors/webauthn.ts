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
import type { FactorRecord } from "../stores/types";
import { isActive, newFactorId } from "./factorRecord";
import type { CheckOutcome } from "./outcome";

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

/** The user's active WebAuthn credentials: factor id and record. */
async function credentials(ctx: KitContext, userId: string) {
  const all = await ctx.store.listFactors(userId);
  return Object.entries(all).filter(([, r]) => isActive(r) && r.type === "webauthn");
}

/** Registration options for `startRegistration()`; the challenge is kept for one ceremony. */
export async function registrationOptions(
  ctx: KitContext,
  userId: string,
  user: { userName?: string; userDisplayName?: string } = {},
): Promise<WebAuthnJSON> {
  const config = rp(ctx);
  const existing = await credentials(ctx, userId);
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
  const existing = await credentials(ctx, userId);
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
 * Checks an assertion: its challenge must be one the kit issued (taken once, atomically), its
 * credential one of the user's, its signature valid, and its signature counter must advance
 * (atomically) when the authenticator keeps one.
 */
export async function checkAssertion(
  ctx: KitContext,
  userId: string,
  response: unknown,
): Promise<CheckOutcome> {
  const config = rp(ctx);
  const challenge = signedChallenge(response);
  if (challenge === null) return { ok: false, reason: "invalid_code" };
  if ((await ctx.store.takeChallenge(userId, challengeKey(challenge), ctx.now())) === null) {
    return { ok: false, reason: "code_expired" };
  }
  const id = (response as { id?: unknown }).id;
  const found = (await credentials(ctx, userId)).find(([, r]) => r.credentialId === id);
  if (!found) return { ok: false, reason: "invalid_code" };
  const [factorId, record] = found;
  const publicKey = fromBase64(record.publicKey ?? "");
  if (!publicKey) return { ok: false, reason: "invalid_code" };
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
    return { ok: false, reason: "invalid_code" };
  }
  if (!result.verified) return { ok: false, reason: "invalid_code" };
  const { newCounter, userVerified, credentialDeviceType } = result.authenticationInfo;
  // Authenticators without a counter always send 0; one that has a counter must move it forward.
  if (newCounter > 0 || counter > 0) {
    if (!(await ctx.store.advanceFactorCounter(userId, factorId, "counter", newCounter))) {
      return { ok: false, reason: "code_reused" };
    }
  }
  await ctx.store.patchFactor(userId, factorId, { lastUsedAt: String(ctx.now()) });
  const amr = [credentialDeviceType === "multiDevice" ? "swk" : "hwk"];
  if (userVerified) amr.push("user");
  amr.push("mfa");
  return { ok: true, factorId, method: "webauthn", acr: "phr", amr };
}
