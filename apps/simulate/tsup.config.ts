import { defineConfig } from "tsup";

// `npm run simulate` runs the simulation as a plain Node script from dist/; the kit and the client
// stay external (the built workspace packages).
export default defineConfig({
  entry: { main: "src/main.ts" },
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  sourcemap: true,
});
