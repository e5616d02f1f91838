// Types for the console's operations, generated from the committed SDL (never from a running
// server). `npm run codegen` writes src/gql/; `npm run codegen:check` fails when it is stale.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../graphql_schema/schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**", "!src/graphiql/**", "!src/**/*.test.{ts,tsx}"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      // Apollo Client 4 masks fragments itself.
      presetConfig: { fragmentMasking: false },
      config: {
        enumType: "const",
        useTypeImports: true,
        strictScalars: true,
        scalars: { Date: "string", DateTime: "string", Decimal: "string", JSON: "unknown" },
      },
    },
  },
};

export default config;
