import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * Tests run against each package's `src`, never its `dist`: editing one package never needs a
 * rebuild to test another. `@mfa-kit/<pkg>` maps to `src/index.ts`, `@mfa-kit/<pkg>/<entry>` to
 * `src/<entry>.ts` (the subpath entries: client/totp, client/node, server/redis, ...).
 */
const alias = [
  {
    find: /^@mfa-kit\/(protocol|client|server|react)$/,
    replacement: `${root}packages/$1/src/index.ts`,
  },
  {
    find: /^@mfa-kit\/(protocol|client|server|react)\/([\w-]+)$/,
    replacement: `${root}packages/$1/src/$2.ts`,
  },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "protocol", include: ["packages/protocol/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "client", include: ["packages/client/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "server", include: ["packages/server/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "react",
          environment: "jsdom",
          include: ["packages/react/src/**/*.test.{ts,tsx}"],
          setupFiles: ["packages/react/src/test/setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "demo",
          environment: "jsdom",
          include: ["apps/demo/src/**/*.test.{ts,tsx}"],
        },
      },
      {
        extends: true,
        test: {
          name: "demo-e2e",
          environment: "node",
          include: ["apps/demo/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: { name: "oidc", environment: "node", include: ["apps/oidc/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "oidc-e2e",
          environment: "node",
          include: ["apps/oidc/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: "simulate",
          environment: "node",
          include: ["apps/simulate/src/**/*.test.ts"],
          testTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "load",
          environment: "node",
          include: ["apps/load/test/**/*.test.ts"],
          globalSetup: ["apps/load/test/globalSetup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
