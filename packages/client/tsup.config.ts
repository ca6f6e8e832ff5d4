import { join } from "node:path";
import { defineConfig, type Options } from "tsup";

const shared: Options = {
  format: ["esm", "cjs"],
  sourcemap: true,
  target: "es2022",
  treeshake: true,
  // Members of the engine's internal parts (never in the types, never seen by callers or other
  // packages) end in `_`: their names are shortened in the build.
  esbuildOptions(options) {
    options.mangleProps = /[^_]_$/;
  },
};

export default defineConfig([
  {
    // The default build (browsers): `mfa.fetch` and axios leave redirects to the browser, which
    // hides them from scripts anyway, so the `.browser.ts` files replace the redirect follower and
    // axios's redirect guard.
    ...shared,
    entry: {
      index: "src/index.ts",
      totp: "src/totp.ts",
      node: "src/node.ts",
      oauth: "src/oauth.ts",
      // Not an export: the chunk the main entry `import()`s when tabs are coordinated, under a
      // stable name so that size-limit measures it apart from the main entry.
      tabs: "src/tabs/tabCoordinator.ts",
      // Not an export either: the calls of `mfa.api`, `import()`ed by the first of them.
      api: "src/mfaApiCalls.ts",
      // And the verify loop, `import()`ed when the first challenge is settled.
      verify: "src/engine/verifyLoop.ts",
    },
    // Types for the exports only.
    dts: { entry: ["src/index.ts", "src/totp.ts", "src/node.ts", "src/oauth.ts"] },
    // dist/node-redirects belongs to the second build, which may be writing it right now.
    clean: ["!node-redirects/**"],
    esbuildPlugins: [
      {
        name: "browser-redirects",
        setup(build) {
          build.onResolve({ filter: /[\\/](followRedirect|redirectGuard)$/ }, (args) => ({
            path: join(args.resolveDir, `${args.path}.browser.ts`),
          }));
        },
      },
    ],
  },
  {
    // The `node` export condition (Node, Deno, Bun): the same client, with `mfa.fetch` following
    // the redirects of requests with credentials itself. Types come from the main build.
    ...shared,
    entry: { index: "src/index.ts" },
    outDir: "dist/node-redirects",
    dts: false,
    clean: true,
  },
]);
