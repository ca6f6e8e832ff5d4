import { join } from "node:path";
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
      redis: "src/redis.ts",
      node: "src/node.ts",
      express: "src/express.ts",
      oauth: "src/oauth.ts",
    },
    dts: true,
    // dist/node-crypto belongs to the second build, which may be writing it right now.
    clean: ["!node-crypto/**"],
  },
  {
    // The `node` export condition: the same kit, with `src/crypto/default.ts` (portable) swapped for
    // `src/crypto/nodeDefault.ts` (node:crypto, ~5x faster HMAC). Types come from the main build.
    ...shared,
    entry: { index: "src/index.ts" },
    outDir: "dist/node-crypto",
    dts: false,
    clean: true,
    esbuildPlugins: [
      {
        name: "node-crypto",
        setup(build) {
          build.onResolve({ filter: /[\\/]crypto[\\/]default$/ }, (args) => ({
            path: join(args.resolveDir, args.path.replace(/default$/, "nodeDefault.ts")),
          }));
        },
      },
    ],
  },
]);
