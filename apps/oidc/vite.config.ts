import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The SPA builds to dist/web (two pages: the app and the popup's callback); the three servers
// (`vite build --ssr src/server/main.ts`) to dist/server.
export default defineConfig(({ isSsrBuild }) => ({
  plugins: [react()],
  build: isSsrBuild
    ? { outDir: "dist/server", copyPublicDir: false, sourcemap: true, target: "node20" }
    : {
        outDir: "dist/web",
        sourcemap: true,
        target: "es2022",
        rollupOptions: {
          input: {
            main: fileURLToPath(new URL("index.html", import.meta.url)),
            popup: fileURLToPath(new URL("popup-callback.html", import.meta.url)),
          },
        },
      },
  ssr: { external: ["@mfa-kit/protocol", "@mfa-kit/server", "oidc-provider", "jose", "otplib"] },
}));
