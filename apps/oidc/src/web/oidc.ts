import { UserManager, WebStorageStateStore } from "oidc-client-ts";

/** Where the provider and the API are (served by the example as `/config.json`). */
export interface ExampleConfig {
  issuer: string;
  api: string;
}

export const loadConfig = async (): Promise<ExampleConfig> =>
  (await fetch("/config.json")).json() as Promise<ExampleConfig>;

/** The SPA's OpenID Connect client: code flow with PKCE, a popup for step-up. */
export const userManager = (config: ExampleConfig) =>
  new UserManager({
    authority: config.issuer,
    client_id: "spa",
    redirect_uri: `${location.origin}/`,
    popup_redirect_uri: `${location.origin}/popup-callback.html`,
    response_type: "code",
    scope: "openid api",
    resource: `${config.api}/api`,
    loadUserInfo: false,
    userStore: new WebStorageStateStore({ store: sessionStorage }),
  });
