import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { formatDoctor, runDoctor } from "../doctor/checklist";

const USAGE =
  "usage: mfa-kit doctor <config module>   (its default export: the createMfaServer options)";

/** `mfa-kit doctor ./mfa.config.mjs`: prints the checklist; exit code 1 on a fail, 2 on bad usage. */
export async function main(
  argv: string[],
  out = console.log,
  err = console.error,
): Promise<number> {
  const [command, file] = argv;
  if (command !== "doctor" || !file) {
    err(USAGE);
    return 2;
  }
  let options: unknown;
  try {
    const loaded = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
    options =
      typeof loaded.default === "function"
        ? await (loaded.default as () => unknown)()
        : loaded.default;
  } catch (error) {
    err(
      `mfa-kit doctor: cannot load ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 2;
  }
  if (typeof options !== "object" || options === null) {
    err(`mfa-kit doctor: ${file} has no default export of createMfaServer options`);
    return 2;
  }
  const rows = runDoctor(options as never);
  out(formatDoctor(rows));
  const fails = rows.filter((r) => r.status === "fail").length;
  const warns = rows.filter((r) => r.status === "warn").length;
  out(`\n${fails} fail, ${warns} warn, ${rows.length - fails - warns} pass`);
  return fails > 0 ? 1 : 0;
}
