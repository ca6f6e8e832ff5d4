import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The app builds to dist/web; the Node HTTP server (`vite build --ssr src/server/node.ts`) to
// dist/server. Both servers bind the loopback interface only.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist/web", sourcemap: true },
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
});
