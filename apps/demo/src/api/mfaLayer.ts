import {
  createMfaHandler,
  createMfaServer,
  type MfaEvent,
  type MfaServer,
  type MfaServerOptions,
  requireMfa,
  type VerifyContext,
} from "@mfa-kit/server";
import type { SessionInfo } from "./accountRoutes";
import type { Accounts, User } from "./accounts";
import type { EventFeed, NewDemoEvent } from "./eventFeed";
import { bearerToken } from "./http";
import type { TotpHelper } from "./totpHelper";

/** What the demo passes through to `createMfaServer` (a Redis store, keys, limits...). */
export type MfaLayerOptions = Partial<Omit<MfaServerOptions, "now" | "onEvent">>;

/** The result of an MFA guard: the session, or the kit's 401 to answer with. */
export type GuardResult = { ok: true; session: SessionInfo } | { ok: false; response: Response };

/** The server kit wired into the demo: its routes, the two guards and the event feed. */
export interface MfaLayer {
  kit: MfaServer;
  /** The kit's `/mfa/...` routes, or `null` for any other path. */
  handle(req: Request): Promise<Response | null>;
  /** An MFA session of the signed-in user. */
  requireSession(req: Request): Promise<GuardResult>;
  /** An MFA session whose last verification is at most `stepUpMaxAgeMs` old. */
  requireStepUp(req: Request): Promise<GuardResult>;
  /** Which device the demo pretends requests come from (to show `device.new`). */
  device: string;
}

const ISSUER = "mfa-kit demo";

const METHOD_NAMES: Record<string, string> = {
  totp: "an authenticator app",
  hotp: "a hardware token",
  sms: "a text message",
  email: "an e-mail code",
  webauthn: "a security key",
  backup_code: "a backup code",
};

/** A feed entry for one of the kit's events: what happened, for people. */
export function describeKitEvent(event: MfaEvent): NewDemoEvent {
  const base = { type: event.type, userId: event.userId };
  switch (event.type) {
    case "mfa.verified":
      return {
        ...base,
        severity: "info",
        message: `Verified with ${METHOD_NAMES[event.method] ?? event.method}.`,
        data: { acr: event.acr, amr: event.amr },
      };
    case "mfa.failed":
      return {
        ...base,
        severity: "warning",
        message: `Failed verification (${event.reason.replace(/_/g, " ")}): ${event.attemptsLeft} ${
          event.attemptsLeft === 1 ? "attempt" : "attempts"
        } left before a lock.`,
        data: { reason: event.reason, attemptsLeft: event.attemptsLeft },
      };
    case "mfa.locked":
      return {
        ...base,
        severity: "critical",
        message: `Locked for ${Math.ceil(event.retryAfterMs / 1000)} s after too many failed codes (lock ${event.level}).`,
        data: { retryAfterMs: event.retryAfterMs, level: event.level },
      };
    case "factor.enrolled":
      return {
        ...base,
        severity: "info",
        message: `${capitalise(METHOD_NAMES[event.factorType] ?? event.factorType)} was added.`,
      };
    case "factor.imported":
      return {
        ...base,
        severity: "info",
        message: `${capitalise(METHOD_NAMES[event.factorType] ?? event.factorType)} was imported by an administrator.`,
      };
    case "factor.removed":
      return {
        ...base,
        severity: "warning",
        message: `${capitalise(METHOD_NAMES[event.factorType] ?? event.factorType)} was removed.`,
      };
    case "backup_code.used":
      return {
        ...base,
        severity: "warning",
        message: `A backup code was used (${event.remaining} left): an administrator is notified.`,
        data: { remaining: event.remaining },
      };
    case "device.new":
      return {
        ...base,
        severity: "warning",
        message: `Verified from a new device${event.context.userAgent ? ` (${shortAgent(event.context.userAgent)})` : ""}: the user gets an e-mail.`,
      };
    case "location.changed":
      return {
        ...base,
        severity: "critical",
        message: `Verification from ${event.to} after ${event.from}${
          event.additionalFactorRequired ? ": a second factor is required" : ""
        }.`,
      };
  }
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const shortAgent = (ua: string) =>
  /(Firefox|Edg|Chrome|Safari)\/[\d.]+/.exec(ua)?.[0] ?? ua.slice(0, 40);

/** Creates the kit for the demo and wires its routes and guards to the primary login. */
export function createMfaLayer(
  deps: {
    now: () => number;
    events: EventFeed;
    accounts: Accounts;
    totp: TotpHelper;
    stepUpMaxAgeMs: number;
  },
  kitOptions: MfaLayerOptions = {},
): MfaLayer {
  const { now, events, accounts, totp, stepUpMaxAgeMs } = deps;
  const kit = createMfaServer({
    issuer: ISSUER,
    // Authenticator apps show the username the user signs in with, not the internal id.
    accountName: (userId) => accounts.findUser(userId)?.username ?? userId,
    ...kitOptions,
    now,
    onEvent: (event) => {
      events.publish(describeKitEvent(event));
    },
  });

  const userOf = (req: Request): User | null => {
    const token = bearerToken(req);
    return token ? accounts.authenticate(token) : null;
  };
  const authenticate = (req: Request) => userOf(req)?.id ?? null;
  const layer = { device: "this-browser" };
  const context = (req: Request): VerifyContext => {
    const userAgent = req.headers.get("user-agent") ?? undefined;
    return {
      ...(userAgent ? { userAgent } : {}),
      deviceId: `${layer.device}\n${userAgent ?? ""}`,
    };
  };

  const routes = createMfaHandler(kit, { authenticate, stepUpMaxAgeMs, context });
  const sessionGuard = requireMfa(kit, { authenticate, context });
  const stepUpGuard = requireMfa(kit, { authenticate, context, maxAgeMs: stepUpMaxAgeMs });
  const guard = async (check: typeof sessionGuard, req: Request): Promise<GuardResult> => {
    const result = await check(req);
    if (!result.ok) return result;
    const { acr, amr, authTime, expiresAt } = result.claims;
    return { ok: true, session: { acr, amr, authTime, expiresAt } };
  };

  return {
    kit,
    async handle(req) {
      const user = userOf(req);
      const url = new URL(req.url);
      const res = await routes(req);
      // The demo plays the authenticator app: it keeps the secrets it hands out (see TotpHelper).
      if (res?.ok && user && req.method === "POST" && url.pathname === "/mfa/totp/enroll") {
        const body = (await res.clone().json()) as { factorId: string; otpauthUri: string };
        totp.remember(user.id, body.factorId, body.otpauthUri);
      }
      const removed = /^\/mfa\/factors\/([^/]+)$/.exec(url.pathname);
      if (res?.status === 204 && user && req.method === "DELETE" && removed) {
        totp.forget(user.id, decodeURIComponent(removed[1]!));
      }
      return res;
    },
    requireSession: (req) => guard(sessionGuard, req),
    requireStepUp: (req) => guard(stepUpGuard, req),
    get device() {
      return layer.device;
    },
    set device(value) {
      layer.device = value;
    },
  };
}
