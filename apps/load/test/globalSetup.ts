import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { postgresUnavailableReason, redisUnavailableReason } from "@mfa-kit/test-utils";

/**
 * The multi-instance tests run the demo's built Node server (two processes, like production).
 * Build it (and the kit it bundles) through turbo first: a cache hit when `npm run build` already
 * ran, as in CI. Skipped when the tests themselves will skip for want of Redis and PostgreSQL.
 */
export default function setup(): void {
  if (redisUnavailableReason() !== undefined && postgresUnavailableReason() !== undefined) return;
  const root = fileURLToPath(new URL("../../..", import.meta.url));
  const build = spawnSync(
    "npx",
    ["turbo", "run", "build", "--filter=@mfa-kit/demo", "--output-logs=errors-only"],
    { cwd: root, encoding: "utf8", env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" } },
  );
  if (build.status !== 0) {
    throw new Error(`Building the demo server failed:\n${build.stdout}\n${build.stderr}`);
  }
}
