import { defineConfig, type Options } from "tsup";

const shared: Options = {
  format: ["esm", "cjs"],
  sourcemap: true,
  target: "es2022",
  treeshake: true,
};

export default defineConfig([
  {
    ...shared,
    entry: {
      index: "src/index.ts",
      cors: "src/cors.ts",
      oauth: "src/oauth.ts",
      format: "src/format.ts",
    },
    dts: {
      entry: {
        index: "src/index.ts",
        cors: "src/cors.ts",
        oauth: "src/oauth.ts",
        format: "src/format.ts",
        vocabulary: "src/vocabulary.ts",
      },
    },
    // The vocabulary's code belongs to the second build, which may be writing it right now.
    clean: ["!vocabulary.js*", "!vocabulary.cjs*"],
  },
  {
    // `@mfa-kit/protocol/vocabulary` builds alone, with its own copy of the tables it reads: shared
    // with the main entry, they would move into a chunk of their own and the main entry would grow.
    // Its types come from the first build.
    ...shared,
    entry: { vocabulary: "src/vocabulary.ts" },
    dts: false,
  },
]);
