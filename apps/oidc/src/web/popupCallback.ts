import { loadConfig, userManager } from "./oidc";

// The end of a step-up popup: hands the authorization response back to the opener.
const config = await loadConfig();
await userManager(config).signinPopupCallback();
