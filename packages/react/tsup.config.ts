import { readdir, readFile, writeFile } from "node:fs/promises";
import { defineConfig } from "tsup";

const USE_CLIENT = '"use client";';

export default defineConfig({
  entry: {
    index: "src/index.ts",
    factors: "src/factors.ts",
    // Not an export: the view of <TotpEnrollment> after the start, `import()`ed by the start, under
    // a stable name so that size-limit measures it apart from the entries.
    totpSetup: "src/components/TotpSetup.tsx",
  },
  format: ["esm", "cjs"],
  // Types for the exports only.
  dts: { entry: ["src/index.ts", "src/factors.ts"] },
  clean: true,
  sourcemap: true,
  target: "es2022",
  treeshake: true,
  // Members of internal objects (never in the types, never seen by callers: the prompt, the query
  // cache's entries, the hooks' local state) end in `_`: their names are shortened in the build.
  esbuildOptions(options) {
    options.mangleProps = /[^_]_$/;
  },
  // The entries share one copy of the context and the cache (in ESM and CJS alike): a second copy
  // would be a second React context, invisible to the components of the other entry.
  splitting: true,
  // Every export is a hook or a component, so React Server Components bundlers must treat the
  // whole bundle as client code. The tree-shaking pass drops module directives, so the directive
  // is put back in front once the bundles are written (on line 1, keeping the source maps' lines).
  async onSuccess() {
    for (const name of await readdir("dist")) {
      if (!/\.c?js$/.test(name)) continue;
      const file = `dist/${name}`;
      const code = await readFile(file, "utf8");
      if (!code.startsWith(USE_CLIENT)) await writeFile(file, USE_CLIENT + code);
    }
  },
});
