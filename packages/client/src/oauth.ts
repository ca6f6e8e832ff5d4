// `@mfa-kit/client/oauth`: the client for APIs whose tokens come from an OpenID Provider, with
// RFC 9470 step-up through the authorization server. A subpath: the main entry pays nothing for it.
import { createMfaClient as createKitClient, type MfaClient } from "./createMfaClient";
import type { MfaClientOptions } from "./engine/options";
import { type ReauthorizeOptions, reauthorizer } from "./oauth/reauthorizer";

export type {
  Reauthorize,
  ReauthorizeOptions,
  ReauthorizeRequest,
  StepUpKind,
} from "./oauth/reauthorizer";
export { reauthorizer } from "./oauth/reauthorizer";

/** Options of the OAuth client: the client's, `reauthorize` and `stepUp`. */
export interface OAuthMfaClientOptions
  extends Omit<MfaClientOptions, "failureHandler">,
    ReauthorizeOptions {}

/**
 * `createMfaClient` with step-up through the authorization server: a challenge without the kit's
 * problem body (an OpenID Provider's RFC 9470 `insufficient_user_authentication`, or an
 * `insufficient_claims` claims challenge) goes to `reauthorize`; the kit's own go to
 * `onChallenge`; `stepUp` forces one of them.
 *
 * @example
 * const mfa = createMfaClient({
 *   origins: ["https://api.example.com"],
 *   getAccessToken: () => oidc.getUser().then((u) => u?.access_token),
 *   reauthorize: async ({ acrValues, maxAge }) =>
 *     (await oidc.signinPopup({ acr_values: acrValues.join(" "), max_age: maxAge })).access_token,
 * });
 */
export function createMfaClient(options: OAuthMfaClientOptions = {}): MfaClient {
  const { reauthorize, stepUp, ...rest } = options;
  return createKitClient({
    ...rest,
    failureHandler: reauthorizer({
      ...(reauthorize ? { reauthorize } : {}),
      ...(stepUp ? { stepUp } : {}),
    }),
  });
}
