import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, installed by `apt-get install -y chromium` (see `.ci/run`). */
const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags for a headless Chromium in a container: no sandbox, no GPU, no background traffic. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/**
 * Whether the browser tests can run. Without Chromium they are skipped with a message, except on CI
 * (`CI=true`), where a missing browser is an error rather than a silently green run.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const message = `${CHROMIUM_PATH} not found: install it with \`sudo apt-get install -y chromium\` to run the browser tests.`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`Skipping the browser tests. ${message}`);
  return false;
}

/** Launches the headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
