import { fileURLToPath } from "node:url";
import { startOidcExample } from "./startOidcExample";

// `npm run demo:oidc`: the SPA, the OpenID Provider and the API on three origins of localhost.
const example = await startOidcExample({
  webRoot: fileURLToPath(new URL("../web", import.meta.url)),
  host: "localhost",
  ports: { spa: 5180, provider: 5181, api: 5182 },
});
console.log(`SPA             ${example.spa}
OpenID Provider ${example.provider}
API             ${example.api}
Sign in as ${example.user.username} / ${example.user.password}.
Authenticator secret (add it to your app): ${example.user.totpSecret}
Backup codes: ${example.user.backupCodes.join(" ")}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void example.close().then(() => process.exit(0));
  });
}
