import { defineConfig } from "tsup";

// The bench and the server process it measures run as plain Node scripts from dist/; the kit and
// ioredis stay external (the built workspace packages, resolved under the `node` condition).
export default defineConfig({
  entry: { bench: "src/bench.ts", benchServer: "src/benchServer.ts", scale: "src/scale.ts" },
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  sourcemap: true,
});
