import { ApolloProvider } from "@apollo/client/react";
import { StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";

import "./index.css";
import { LoadingState } from "./components/ui/States";
import { createApolloClient } from "./lib/apollo";
import { createRouter } from "./routes";

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root");

createRoot(root).render(
  <StrictMode>
    <ApolloProvider client={createApolloClient()}>
      <Suspense fallback={<LoadingState label="Loading the console" />}>
        <RouterProvider router={createRouter()} />
      </Suspense>
    </ApolloProvider>
  </StrictMode>,
);
