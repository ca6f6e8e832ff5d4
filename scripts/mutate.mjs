#!/usr/bin/env node
// `npm run mutate [folder...]`: StrykerJS over the folders whose tests must catch mutations, one
// run per folder (each with its own incremental file and report under reports/mutation/<name>/),
// server folders first. With no argument it runs all four; `npm run mutate -- factors` runs one.
// Each run fails below a mutation score of 80 % (stryker.config.mjs: thresholds.break).
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const FOLDERS = {
  factors: "packages/server/src/factors",
  limits: "packages/server/src/limits",
  http: "packages/server/src/http",
  engine: "packages/client/src/engine",
};

// Folder names, then any Stryker options (`npm run mutate -- engine --concurrency 1`).
const args = process.argv.slice(2);
const firstOption = args.findIndex((arg) => arg.startsWith("--"));
const names = firstOption === -1 ? args : args.slice(0, firstOption);
const options = firstOption === -1 ? [] : args.slice(firstOption);
for (const name of names) {
  if (!(name in FOLDERS)) {
    console.error(`Unknown folder "${name}"; choose from: ${Object.keys(FOLDERS).join(", ")}`);
    process.exit(2);
  }
}

const results = [];
for (const name of names.length > 0 ? names : Object.keys(FOLDERS)) {
  const folder = FOLDERS[name];
  const started = Date.now();
  console.log(`\n> mutation testing ${folder}`);
  const run = spawnSync(
    join(root, "node_modules", ".bin", "stryker"),
    ["run", "stryker.config.mjs", ...options],
    {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, MUTATE_NAME: name, MUTATE_FOLDER: folder },
    },
  );
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  results.push(
    `${name.padEnd(8)} ${run.status === 0 ? "pass" : "FAIL"}  ${minutes} min  ${folder}`,
  );
}
console.log(`\n${results.join("\n")}`);
if (results.some((line) => line.includes("FAIL"))) process.exit(1);
