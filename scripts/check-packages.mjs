#!/usr/bin/env node
// Lints every published package as npm would pack it: `publint --strict` (package.json and files)
// and `attw --pack` (types resolve for ESM and CJS consumers under node16 and bundler resolution).
// Private workspaces (the demo, the test helpers) are skipped.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const failures = [];
for (const dir of readdirSync(join(root, "packages"))) {
  const cwd = join(root, "packages", dir);
  const pkg = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8"));
  if (pkg.private) continue;
  for (const [cmd, args] of [
    ["publint", ["--strict"]],
    ["attw", ["--pack", ".", "--profile", "node16", "--format", "table-flipped"]],
  ]) {
    console.log(`\n> ${pkg.name}: ${cmd} ${args.join(" ")}`);
    const run = spawnSync(join(root, "node_modules", ".bin", cmd), args, { cwd, stdio: "inherit" });
    if (run.status !== 0) failures.push(`${pkg.name}: ${cmd}`);
  }
}
if (failures.length > 0) {
  console.error(`\nPackage checks failed:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log("\nAll packages pass publint --strict and attw --pack.");
