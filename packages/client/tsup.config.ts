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
    // The default build (browsers): `mfa.fetch` leaves redirects to the browser, which hides them
    // from scripts anyway, so `src/adapters/followRedirect.browser.ts` replaces the follower.
    ...shared,
    entry: { index: "src/index.ts", totp: "src/totp.ts", node: "src/node.ts" },
    dts: true,
    // dist/node-redirects belongs to the second build, which may be writing it right now.
    clean: ["!node-redirects/**"],
    esbuildPlugins: [
      {
        name: "browser-redirects",
        setup(build) {
          build.onResolve({ filter: /[\\/]followRedirect$/ }, (args) => ({
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
