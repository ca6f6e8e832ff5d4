import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The app builds to dist/web; the Node HTTP server (`vite build --ssr src/server/node.ts`) to
// dist/server, without the public files. Both dev servers bind the loopback interface only, as
// `localhost`: WebAuthn needs a domain name, so security keys work there and not at 127.0.0.1.
export default defineConfig(({ isSsrBuild }) => ({
  plugins: [react()],
  build: isSsrBuild
    ? { outDir: "dist/server", copyPublicDir: false, sourcemap: true }
    : {
        outDir: "dist/web",
        sourcemap: true,
        // The reference API runs in the page: the server kit (with WebAuthn verification) is a
        // chunk of its own, loaded once before the app renders.
        chunkSizeWarningLimit: 900,
      },
  // The Node server imports the kit as a package (its `node` condition picks node:crypto).
  ssr: { external: ["@mfa-kit/protocol", "@mfa-kit/server"] },
  server: { host: "localhost", port: 5173 },
  preview: { host: "localhost", port: 4173 },
}));
