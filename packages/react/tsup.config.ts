import { readFile, writeFile } from "node:fs/promises";
import { defineConfig } from "tsup";

const USE_CLIENT = '"use client";';

export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  treeshake: true,
  // Every export is a hook or a component, so React Server Components bundlers must treat the
  // whole bundle as client code. The tree-shaking pass drops module directives, so the directive
  // is put back in front once the bundles are written (on line 1, keeping the source maps' lines).
  async onSuccess() {
    for (const file of ["dist/index.js", "dist/index.cjs"]) {
      const code = await readFile(file, "utf8");
      if (!code.startsWith(USE_CLIENT)) await writeFile(file, USE_CLIENT + code);
    }
  },
});
