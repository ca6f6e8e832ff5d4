import { defineConfig } from "vitest/config";
import base from "./vitest.config";

/**
 * The configuration `npm run mutate` hands to Stryker: the root one with only the unit-test
 * projects of the mutated packages. The browser, multi-instance and Redis-backed suites start
 * processes of their own and would run once per mutant; the folders under mutation are covered by
 * the unit tests next to them.
 */
const projects = (base.test?.projects ?? []).filter(
  (project) =>
    typeof project === "object" &&
    "test" in project &&
    ["client", "server"].includes(project.test?.name as string),
);

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    projects,
    // Suites that start a redis-server or PostgreSQL, or deliver to a real local receiver on the
    // wall clock.
    exclude: [
      "**/node_modules/**",
      "**/stores/redis.test.ts",
      "**/stores/postgres*.test.ts",
      "**/stores/storeParity.test.ts",
      "**/webhooks/delivery.test.ts",
    ],
    // A mutant that leaves a promise pending fails its test here, in the same worker, instead of
    // waiting for Stryker's timeout and a restart of the worker (about half a minute each).
    testTimeout: 20_000,
  },
});
