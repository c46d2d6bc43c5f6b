import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import vue from "@vitejs/plugin-vue";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);
const API = process.env.CMA_API ?? "http://127.0.0.1:8000";

/** Ship Swagger UI with the app, so /docs works offline and under a strict CSP. */
function swaggerUiAssets(): Plugin {
  return {
    name: "cma-swagger-ui-assets",
    apply: "build",
    generateBundle() {
      for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
        this.emitFile({
          type: "asset",
          fileName: `swagger/${file}`,
          source: readFileSync(require.resolve(`swagger-ui-dist/${file}`)),
        });
      }
    },
  };
}

export default defineConfig({
  plugins: [vue(), swaggerUiAssets()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    // `npm run dev`: hot reload here, API calls proxied to `make run` (same origin for cookies).
    proxy: {
      "/api": API,
      "/openapi.json": API,
      "/docs": API,
      "/dev/mailbox": API,
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
