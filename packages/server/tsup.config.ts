import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, type Options } from "tsup";

/**
 * `import text from "./file.sql?raw"`: the file's text, inlined as a string (vitest reads the same
 * files through its own `?raw` support).
 */
const rawText: NonNullable<Options["esbuildPlugins"]>[number] = {
  name: "raw-text",
  setup(build) {
    build.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: join(args.resolveDir, args.path.slice(0, -"?raw".length)),
      namespace: "raw-text",
    }));
    build.onLoad({ filter: /.*/, namespace: "raw-text" }, (args) => ({
      contents: readFileSync(args.path, "utf8"),
      loader: "text",
    }));
  },
};

const shared: Options = {
  format: ["esm", "cjs"],
  sourcemap: true,
  target: "es2022",
  treeshake: true,
};

/** The PostgreSQL migrations also ship as plain `.sql` files, for teams with their own tool. */
const copyMigrations = async () => {
  const from = "src/stores/migrations";
  mkdirSync("dist/migrations", { recursive: true });
  for (const file of readdirSync(from)) {
    if (file.endsWith(".sql")) copyFileSync(join(from, file), join("dist/migrations", file));
  }
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
      postgres: "src/postgres.ts",
      store: "src/store.ts",
      testing: "src/testing.ts",
    },
    dts: true,
    esbuildPlugins: [rawText],
    onSuccess: copyMigrations,
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
