import type { IncomingMessage, ServerResponse } from "node:http";
import type { MfaServer } from "@mfa-kit/server";
import Provider, { type InteractionDetails, interactionPolicy } from "oidc-provider";
import { errorPage, page } from "./html";

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
}

/** The rank of an acr in {@link ACR_ORDER}, -1 for anything else. */
const rank = (acr: string | undefined) => ACR_ORDER.indexOf(acr as (typeof ACR_ORDER)[number]);

/** Whether a session of class `acr` satisfies the `acr_values` of a request (any of them). */
export function satisfies(acr: string | undefined, acrValues: string | undefined): boolean {
  const wanted = (acrValues ?? "").split(" ").filter((v) => rank(v) >= 0);
  if (wanted.length === 0) return true;
  return wanted.some((v) => rank(acr) >= rank(v));
}

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

  const mfaForm = (res: ServerResponse, details: InteractionDetails, error?: string) =>
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
      </form>`,
    );

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
    const [, uid, step] = /^\/interaction\/([\w-]+)(?:\/(login|mfa))?$/.exec(path) ?? [];
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
        mfaForm(res, details);
      } else passwordForm(res, details);
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
      mfaForm(res, details);
      return true;
    }

    const accountId = pending.get(uid);
    if (!accountId) {
      passwordForm(res, details, "Sign in first.");
      return true;
    }
    const code = form.get("code")?.trim();
    const backupCode = form.get("backupCode")?.trim();
    // A proof without an MFA session of the kit's own: the provider's session and tokens carry it.
    const result = await mfa.verifyOnce({
      userId: accountId,
      ...(backupCode ? { backupCode } : { code: code ?? "" }),
      context: { userAgent: req.headers["user-agent"] ?? "" },
    });
    if (!result.ok) {
      mfaForm(
        res,
        details,
        result.reason === "locked"
          ? "Too many wrong codes: wait a few minutes."
          : "That code is not right: try the current one.",
      );
      return true;
    }
    pending.delete(uid);
    await login(req, res, accountId, result.acr, ["pwd", ...result.amr]);
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
