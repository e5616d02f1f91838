// GraphiQL served by the gateway at GET /graphql, bundled so it works offline (no CDN).
import "./workers";
import "graphiql/style.css";

import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

// Same-origin, so a signed-in console session (cookie) works; the CSRF header is what the
// gateway asks of cookie-authenticated requests. Keys go in the Headers tab:
// {"Authorization": "Bearer sk-..."}.
const fetcher = createGraphiQLFetcher({
  url: "/graphql",
  headers: { "x-deltallm-csrf": "1" },
});

const DEFAULT_QUERY = `# DeltaLLM admin API. Authenticate with the console session, or add
# {"Authorization": "Bearer <key>"} in the Headers tab below.
{ me { kind email platformRole } }
`;

const container = document.getElementById("root");
if (container === null) {
  throw new Error("graphiql.html has no #root element");
}

createRoot(container).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
