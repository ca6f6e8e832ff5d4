import type { KnipConfig } from "knip";

// Unused files, exports and dependencies fail `npm test`. The entry points are the packages'
// exports (mapped to src by knip), their tests, the apps' pages and servers, and the scripts; what
// is listed below is what knip cannot see by itself, each with the reason.
const config: KnipConfig = {
  workspaces: {
    ".": {
      // stryker.config.mjs hands vitest.mutate.config.ts to the vitest runner by name.
      entry: ["scripts/*.mjs", "vitest.mutate.config.ts"],
      // scripts/check-packages.mjs runs both from node_modules/.bin by path.
      ignoreDependencies: ["@arethetypeswrong/cli", "publint"],
    },
    "packages/server": {
      // tsup's `node` build swaps these in for their portable twins (tsup.config.ts).
      entry: ["src/crypto/nodeDefault.ts", "src/webhooks/nodeDefaultTransport.ts", "bench/*.mjs"],
    },
    "packages/client": { entry: ["bench/*.mjs"] },
    "packages/react": {
      // The `jsdom` test environment of the react project (root vitest.config.ts).
      ignoreDependencies: ["jsdom"],
    },
    "packages/test-utils": {
      // postgresServer.ts drops root privileges with util-linux's runuser.
      ignoreBinaries: ["runuser"],
    },
    "apps/demo": {
      // The Node server (`vite build --ssr`) and the browser tests.
      entry: ["src/server/node.ts", "e2e/**/*.test.ts"],
      // The `jsdom` test environment of the demo project; axe-core is injected into the page from
      // its file (e2e/axe.ts resolves axe-core/axe.min.js).
      ignoreDependencies: ["jsdom", "axe-core"],
    },
    "apps/oidc": {
      entry: ["src/server/main.ts", "e2e/**/*.test.ts"],
    },
    "apps/load": {
      // The multi-instance tests start the demo's built server (../../demo/dist/server/node.js):
      // the dependency makes turbo build the demo first.
      ignoreDependencies: ["@mfa-kit/demo"],
    },
  },
};

export default config;
