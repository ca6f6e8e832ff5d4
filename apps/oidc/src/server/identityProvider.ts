import type { IncomingMessage, ServerResponse } from "node:http";
import type { MfaServer } from "@mfa-kit/server";
import Provider, { type InteractionDetails, interactionPolicy } from "oidc-provider";
import { ceremony, errorPage, page, randomNonce } from "./html";

/** The authentication context classes the provider issues, weakest first. */
export const ACR_ORDER = ["pwd", "mfa", "phr"] as const;

/** Options of {@link createIdentityProvider}. */
export interface IdentityProviderOptions {
  /** The provider's own origin (its issuer identifier). */
  issuer: string;
  /** The SPA's origin: its redirect URIs and the only client. */
  spaOrigin: string;
  /** The resource API's identifier: the audience of the JWT access tokens. */
  apiAudience: string;
  /** The MFA kit holding the users' factors. */
  mfa: MfaServer;
  /** The users and their passwords. */
  users: Record<string, string>;
  /** The provider's signing key (a private JWK with `kid` and `alg`). */
  signingKey: Record<string, unknown>;
  /** Secrets for the provider's cookies. */
  cookieKeys: string[];
  /** Whether the MFA kit accepts security keys (its `webauthn` options are set). Defaults to `false`. */
  webauthn?: boolean;
}

/** The rank of an acr in {@link ACR_ORDER}, -1 for anything else. */
const rank = (acr: string | undefined) => ACR_ORDER.indexOf(acr as (typeof ACR_ORDER)[number]);

/** Whether a session of class `acr` satisfies the `acr_values` of a request (any of them). */
export function satisfies(acr: string | undefined, acrValues: string | undefined): boolean {
  const wanted = (acrValues ?? "").split(" ").filter((v) => rank(v) >= 0);
  if (wanted.length === 0) return true;
  return wanted.some((v) => rank(acr) >= rank(v));
}

const parseJson = (text: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

const notFound = (res: ServerResponse) => {
  res.writeHead(404, { "Content-Type": "application/json" }).end('{"title":"Not found"}');
  return true;
};

const readForm = async (req: IncomingMessage): Promise<URLSearchParams> => {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) break;
  }
  return new URLSearchParams(body);
};

/**
 * oidc-provider as the authorization server, with its login interaction asking for the second
 * factor through the MFA kit: a password gives `acr: "pwd"`; a TOTP or backup code on top gives
 * `acr: "mfa"` (`amr: ["pwd", "otp"]`). A request whose `acr_values` asks for more than the session
 * has, or whose `max_age` the session is older than, goes through the interaction again.
 * `acr`, `amr` and `auth_time` are copied into the JWT access tokens of the API.
 */
export function createIdentityProvider(options: IdentityProviderOptions) {
  const { mfa, users } = options;

  const policy = interactionPolicy.base();
  // oidc-provider treats acr_values as voluntary: this check makes a weaker session log in again.
  policy.get("login").checks.add(
    new interactionPolicy.Check(
      "acr_values",
      "the requested authentication context class is stronger than the session's",
      (ctx) => {
        const { oidc } = ctx;
        if (!oidc.session?.accountId || oidc.result?.login) return false;
        return !satisfies(oidc.session.acr ?? oidc.acr, oidc.params?.acr_values);
      },
    ),
  );

  const provider = new Provider(options.issuer, {
    clients: [
      {
        client_id: "spa",
        application_type: "web",
        token_endpoint_auth_method: "none",
        id_token_signed_response_alg: "ES256",
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: [`${options.spaOrigin}/`, `${options.spaOrigin}/popup-callback.html`],
        post_logout_redirect_uris: [`${options.spaOrigin}/`],
      },
    ],
    acrValues: [...ACR_ORDER],
    claims: { openid: ["sub", "acr", "amr", "auth_time"] },
    clientBasedCORS: (_ctx: unknown, origin: string) => origin === options.spaOrigin,
    cookies: { keys: options.cookieKeys },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.apiAudience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== options.apiAudience) throw new Error("unknown resource");
          return {
            scope: "api",
            audience: options.apiAudience,
            accessTokenFormat: "jwt",
            accessTokenTTL: 600,
            jwt: { sign: { alg: "ES256" } },
          };
        },
      },
    },
    extraTokenClaims: async (ctx: { oidc: { entities: Record<string, unknown> } }) => {
      const source = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken) as
        | { acr?: string; amr?: string[]; authTime?: number }
        | undefined;
      if (!source) return undefined;
      return {
        ...(source.acr ? { acr: source.acr } : {}),
        ...(source.amr ? { amr: source.amr } : {}),
        ...(source.authTime ? { auth_time: source.authTime } : {}),
      };
    },
    findAccount: async (_ctx: unknown, id: string) =>
      id in users ? { accountId: id, claims: async () => ({ sub: id }) } : undefined,
    interactions: {
      policy,
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    jwks: { keys: [options.signingKey] },
    pkce: { required: () => true },
    renderError: async (
      ctx: { type: string; body: string },
      out: { error?: string; error_description?: string },
    ) => {
      ctx.type = "html";
      ctx.body = errorPage(out.error ?? "error", out.error_description ?? "");
    },
    ttl: {
      AccessToken: 600,
      Session: 3600,
      Interaction: 600,
      Grant: 3600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
  });

  /** Accounts that passed the password step of an interaction, waiting for their second factor. */
  const pending = new Map<string, string>();
  const remember = (uid: string, accountId: string) => {
    // Abandoned interactions are forgotten, oldest first (they expire at the provider anyway).
    if (pending.size >= 1000) pending.delete(pending.keys().next().value!);
    pending.set(uid, accountId);
  };

  /** Interactions whose second factor passed, offered a security key before they finish. */
  const verified = new Map<string, { accountId: string; acr: string; amr: string[] }>();

  const hasSecurityKey = async (userId: string) =>
    (await mfa.listFactors(userId)).factors.some(
      (f) => f.type === "webauthn" && f.status === "active",
    );

  const login = (
    req: IncomingMessage,
    res: ServerResponse,
    accountId: string,
    acr: string,
    amr: string[],
  ) =>
    provider.interactionFinished(
      req,
      res,
      { login: { accountId, acr, amr, remember: true, ts: Math.floor(Date.now() / 1000) } },
      { mergeWithLastSubmission: false },
    );

  const mfaForm = async (
    res: ServerResponse,
    details: InteractionDetails,
    accountId: string,
    error?: string,
  ) => {
    const key = options.webauthn && (await hasSecurityKey(accountId));
    const nonce = randomNonce();
    page(
      res,
      "Confirm it's you",
      `
      <p>Enter the 6-digit code from your authenticator app, or one of your backup codes.</p>
      ${error ? `<p role="alert">${error}</p>` : ""}
      <form method="post" action="/interaction/${details.uid}/mfa">
        <label>Verification code <input name="code" inputmode="numeric" autocomplete="one-time-code" autofocus></label>
        <label>Backup code <input name="backupCode" autocomplete="off"></label>
        <button type="submit">Verify</button>
      </form>
      ${key ? `<p><button type="button" id="key">Use a security key</button></p>${ceremony(nonce, details.uid, "get")}` : ""}`,
      200,
      nonce,
    );
  };

  /** After the second factor: offer a security key for next time (WebAuthn, the `phr` class). */
  const offerKey = (res: ServerResponse, details: InteractionDetails) => {
    const nonce = randomNonce();
    page(
      res,
      "Add a security key?",
      `
      <p>Next time, confirm it's you with a touch instead of a code.</p>
      <p><button type="button" id="key">Add a security key</button></p>
      <form method="post" action="/interaction/${details.uid}/done"><button type="submit">Not now</button></form>
      ${ceremony(nonce, details.uid, "create")}`,
      200,
      nonce,
    );
  };

  const passwordForm = (res: ServerResponse, details: InteractionDetails, error?: string) =>
    page(
      res,
      "Sign in",
      `
      ${error ? `<p role="alert">${error}</p>` : ""}
      <form method="post" action="/interaction/${details.uid}/login">
        <label>Username <input name="username" autocomplete="username" autofocus></label>
        <label>Password <input name="password" type="password" autocomplete="current-password"></label>
        <button type="submit">Sign in</button>
      </form>`,
    );

  /** Whether this interaction needs the second factor (the client asked for mfa or phr). */
  const wantsMfa = (details: InteractionDetails) =>
    !satisfies(
      "pwd",
      typeof details.params.acr_values === "string" ? details.params.acr_values : undefined,
    );

  const interaction = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const [, uid, step] =
      /^\/interaction\/([\w-]+)(?:\/(login|mfa|done|key-options|key))?$/.exec(path) ?? [];
    if (!uid) return false;
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error("interaction mismatch");

    if (details.prompt.name === "consent") {
      // The SPA is the provider's own first-party client: consent is implied.
      const accountId = details.session!.accountId!;
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
      grant.addOIDCScope("openid");
      grant.addResourceScope(options.apiAudience, "api");
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
      return true;
    }

    if (req.method === "GET") {
      // A signed-in user asked for a stronger or fresher authentication: the second factor only.
      const known = details.session?.accountId;
      if (known && details.prompt.reasons.some((r) => r === "acr_values" || r === "max_age")) {
        remember(uid, known);
        await mfaForm(res, details, known);
      } else passwordForm(res, details);
      return true;
    }

    if (step === "key-options") {
      // WebAuthn options for the page's ceremony: a registration after the second factor, or an
      // authentication instead of a code.
      const done = verified.get(uid);
      const accountId = done?.accountId ?? pending.get(uid);
      if (!accountId || !options.webauthn) return notFound(res);
      let body: unknown;
      if (done) body = await mfa.webauthnRegistrationOptions(accountId, { userName: accountId });
      else {
        const key = (await mfa.listFactors(accountId)).factors.find(
          (f) => f.type === "webauthn" && f.status === "active",
        );
        const started = key && (await mfa.startChallenge(accountId, key.id));
        if (!started?.ok) return notFound(res);
        body = { challengeId: started.challengeId, options: started.webauthnOptions };
      }
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify(body));
      return true;
    }

    const form = await readForm(req);
    if (step === "login") {
      const username = form.get("username") ?? "";
      if (!(username in users) || users[username] !== form.get("password")) {
        passwordForm(res, details, "Wrong username or password.");
        return true;
      }
      if (!wantsMfa(details)) {
        await login(req, res, username, "pwd", ["pwd"]);
        return true;
      }
      remember(uid, username);
      await mfaForm(res, details, username);
      return true;
    }

    if (step === "done" || step === "key") {
      const done = verified.get(uid);
      if (!done) {
        passwordForm(res, details, "Sign in first.");
        return true;
      }
      if (step === "key") {
        // The registration response of the "Add a security key" page.
        const registered = await mfa.verifyWebauthnRegistration(
          done.accountId,
          JSON.parse(form.get("response") ?? "null"),
          { label: "Security key" },
        );
        if (!registered.ok) {
          offerKey(res, details);
          return true;
        }
        page(
          res,
          "Security key added",
          `<p>Next time, confirm it's you with it.</p>
          <form method="post" action="/interaction/${details.uid}/done"><button type="submit" autofocus>Continue</button></form>`,
        );
        return true;
      }
      verified.delete(uid);
      await login(req, res, done.accountId, done.acr, done.amr);
      return true;
    }

    const accountId = pending.get(uid);
    if (!accountId) {
      passwordForm(res, details, "Sign in first.");
      return true;
    }
    const code = form.get("code")?.trim();
    const backupCode = form.get("backupCode")?.trim();
    const assertion = form.get("response");
    const challengeId = form.get("challengeId");
    // A proof without an MFA session of the kit's own: the provider's session and tokens carry it.
    const result = await mfa.verifyOnce({
      userId: accountId,
      ...(assertion && challengeId
        ? { webauthn: parseJson(assertion), challengeId }
        : backupCode
          ? { backupCode }
          : { code: code ?? "" }),
      context: { userAgent: req.headers["user-agent"] ?? "" },
    });
    if (!result.ok) {
      await mfaForm(
        res,
        details,
        accountId,
        result.reason === "locked"
          ? "Too many wrong codes: wait a few minutes."
          : "That code is not right: try the current one.",
      );
      return true;
    }
    pending.delete(uid);
    const amr = ["pwd", ...result.amr];
    if (options.webauthn && !(await hasSecurityKey(accountId))) {
      if (verified.size >= 1000) verified.delete(verified.keys().next().value!);
      verified.set(uid, { accountId, acr: result.acr, amr });
      offerKey(res, details);
      return true;
    }
    await login(req, res, accountId, result.acr, amr);
    return true;
  };

  const callback = provider.callback();
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    interaction(req, res, path)
      .then((handled) => {
        if (!handled) callback(req, res);
      })
      .catch(() => {
        if (!res.headersSent)
          page(res, "Something went wrong", "<p>Start the sign-in again.</p>", 400);
      });
  };
}
