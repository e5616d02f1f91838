import { createContext, useContext, type ReactNode } from "react";

import type { ViewerQuery } from "../../gql/graphql";

export type Viewer = ViewerQuery["me"];

const ViewerContext = createContext<Viewer | null>(null);

export function ViewerProvider({ viewer, children }: { viewer: Viewer; children: ReactNode }) {
  return <ViewerContext.Provider value={viewer}>{children}</ViewerContext.Provider>;
}

/** The signed-in caller; only inside the signed-in part of the app. */
export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (viewer === null) throw new Error("useViewer() outside a signed-in page");
  return viewer;
}
