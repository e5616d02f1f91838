import { fileURLToPath } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// A multi-page build: each page is an HTML entry at the top of frontend/.
// The gateway serves dist/graphiql.html at GET /graphql and dist/assets/* at
// /graphql/assets/*, hence the base.
export default defineConfig({
  base: "/graphql/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 8192,
    rollupOptions: {
      input: {
        graphiql: fileURLToPath(new URL("./graphiql.html", import.meta.url)),
      },
      // GraphiQL's packages start modules with "use no memo" (React Compiler): harmless.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
  worker: { format: "es" },
  // `npm run dev` serves http://localhost:5173/graphql/graphiql.html; queries go to a
  // gateway started with `just serve`.
  server: {
    proxy: { "^/graphql$": "http://127.0.0.1:4000" },
  },
});
