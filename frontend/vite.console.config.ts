/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";

import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The web console: a second build beside GraphiQL's (vite.config.ts), so it never pulls in
// GraphiQL's editor. The gateway serves dist/ui/index.html at GET /ui/* and dist/ui/assets/*
// at /ui/assets/*, hence the base.
export default defineConfig({
  base: "/ui/",
  plugins: [react(), tailwindcss()],
  build: {
    outDir: "dist/ui",
    emptyOutDir: true,
    // React, Apollo and the router share the entry chunk (~190 kB gzipped); pages and the
    // chart library are split off and loaded on demand.
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      input: { index: fileURLToPath(new URL("./index.html", import.meta.url)) },
    },
  },
  // `npm run dev:console` serves http://localhost:5173/ui/; the API is a gateway started with
  // `just serve`.
  server: {
    proxy: {
      "^/graphql$": "http://127.0.0.1:4000",
      "^/v1/": "http://127.0.0.1:4000",
      "^/auth/": "http://127.0.0.1:4000",
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    css: false,
  },
});
