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
      store: "src/store.ts",
      testing: "src/testing.ts",
    },
    dts: true,
    // dist/node-crypto and dist/bin belong to the other builds, which may be writing them right now.
    clean: ["!node-crypto/**", "!bin/**"],
  },
  {
    // The `node` export condition: the same kit, with `src/crypto/default.ts` (portable) swapped for
    // `src/crypto/nodeDefault.ts` (node:crypto, ~5x faster HMAC) and `src/webhooks/defaultTransport.ts`
    // (fetch) for `src/webhooks/nodeDefaultTransport.ts` (pooled agents). Types come from the main build.
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
          // And the webhook transport: pooled node:http(s) agents instead of `fetch`.
          build.onResolve({ filter: /[\\/]defaultTransport$/ }, (args) => ({
            path: join(
              args.resolveDir,
              args.path.replace(/defaultTransport$/, "nodeDefaultTransport.ts"),
            ),
          }));
        },
      },
    ],
  },
  {
    // The `mfa-kit` command (`mfa-kit doctor ./mfa.config.mjs`): Node only, ESM.
    ...shared,
    format: ["esm"],
    entry: { "mfa-kit": "src/bin/cli.ts" },
    outDir: "dist/bin",
    platform: "node",
    dts: false,
    clean: true,
  },
]);
