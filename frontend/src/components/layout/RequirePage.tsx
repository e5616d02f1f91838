import type { ReactNode } from "react";

import { useViewer } from "../../features/auth/viewer";
import { NotAllowedPage } from "../../features/errors/pages/NotAllowedPage";
import { canSee, type Page } from "../../lib/permissions";

/** Renders `children` when the viewer's roles reach `page`; the "not allowed" page otherwise. */
export function RequirePage({ page, children }: { page: Page; children: ReactNode }) {
  const viewer = useViewer();
  return canSee(viewer, page) ? children : <NotAllowedPage />;
}
