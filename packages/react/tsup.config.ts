import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  treeshake: true,
  // Every export is a hook or a component: React Server Components bundlers must treat the whole
  // bundle as client code.
  banner: { js: '"use client";' },
});
