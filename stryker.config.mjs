// Mutation testing (`npm run mutate`, see scripts/mutate.mjs): each run mutates one folder, named by
// MUTATE_NAME and MUTATE_FOLDER, and keeps its incremental file and reports in reports/mutation/.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by scripts/mutate.mjs; no turbo task reads it
const name = process.env.MUTATE_NAME ?? "all";
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by scripts/mutate.mjs; no turbo task reads it
const folder = process.env.MUTATE_FOLDER;
const out = `reports/mutation/${name}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...(folder
    ? { mutate: [`${folder}/**/*.ts`, `!${folder}/**/*.test.ts`, `!${folder}/**/*.testkit.ts`] }
    : {}),
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.mutate.config.ts", related: true },
  coverageAnalysis: "perTest",
  checkers: [],
  // Two shared cores: at most two test runners. A pending promise fails at vitest's testTimeout
  // (vitest.mutate.config.ts); this timeout is for a mutant that blocks the worker itself.
  concurrency: 2,
  timeoutMS: 30_000,
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `${out}/index.html` },
  jsonReporter: { fileName: `${out}/report.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: 80 },
  tempDirName: `.stryker-tmp/${name}`,
  ignorePatterns: [
    "/.stryker-tmp",
    "dist",
    "coverage",
    "reports",
    "test-results",
    "**/.turbo",
    "apps/demo/dist",
  ],
  cleanTempDir: true,
};
