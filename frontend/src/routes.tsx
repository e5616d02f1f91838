import { lazy } from "react";
import { createBrowserRouter, type RouteObject } from "react-router";

import { AppShell } from "./components/layout/AppShell";
import { RequirePage } from "./components/layout/RequirePage";
import { RequireSignIn } from "./features/auth/RequireSignIn";
import { NotFoundPage } from "./features/errors/pages/NotAllowedPage";

// Every page is its own chunk: the first paint loads only the shell and the page shown.
const SignInPage = lazy(() => import("./features/auth/pages/SignInPage"));
const ChangePasswordPage = lazy(() => import("./features/auth/pages/ChangePasswordPage"));
const MfaSetupPage = lazy(() => import("./features/auth/pages/MfaSetupPage"));
const DashboardPage = lazy(() => import("./features/dashboard/pages/DashboardPage"));
const KeysPage = lazy(() => import("./features/keys/pages/KeysPage"));
const KeyHygienePage = lazy(() => import("./features/hygiene/pages/KeyHygienePage"));
const PlaygroundPage = lazy(() => import("./features/playground/pages/PlaygroundPage"));
const UsagePage = lazy(() => import("./features/usage/pages/UsagePage"));
const AuditPage = lazy(() => import("./features/audit/pages/AuditPage"));
const OrganizationsPage = lazy(() => import("./features/orgs/pages/OrganizationsPage"));
const OrganizationPage = lazy(() => import("./features/orgs/pages/OrganizationPage"));
const TeamsPage = lazy(() => import("./features/teams/pages/TeamsPage"));
const TeamPage = lazy(() => import("./features/teams/pages/TeamPage"));
const UsersPage = lazy(() => import("./features/users/pages/UsersPage"));
const AccessPage = lazy(() => import("./features/access/pages/AccessPage"));
const EndUsersPage = lazy(() => import("./features/endusers/pages/EndUsersPage"));
const ModelsPage = lazy(() => import("./features/models/pages/ModelsPage"));
const GuardrailsPage = lazy(() => import("./features/gateway/pages/GuardrailsPage"));
const SettingsPage = lazy(() => import("./features/gateway/pages/SettingsPage"));

export const routes: RouteObject[] = [
  { path: "/sign-in", element: <SignInPage /> },
  { path: "/change-password", element: <ChangePasswordPage /> },
  { path: "/mfa-setup", element: <MfaSetupPage /> },
  {
    element: (
      <RequireSignIn>
        <AppShell />
      </RequireSignIn>
    ),
    children: [
      { index: true, element: <RequirePage page="dashboard"><DashboardPage /></RequirePage> },
      { path: "keys", element: <RequirePage page="keys"><KeysPage /></RequirePage> },
      { path: "keys/hygiene", element: <RequirePage page="hygiene"><KeyHygienePage /></RequirePage> },
      { path: "playground", element: <RequirePage page="playground"><PlaygroundPage /></RequirePage> },
      { path: "keys/:keyId", element: <RequirePage page="keys"><KeysPage /></RequirePage> },
      { path: "usage", element: <RequirePage page="usage"><UsagePage /></RequirePage> },
      { path: "audit", element: <RequirePage page="audit"><AuditPage /></RequirePage> },
      { path: "orgs", element: <RequirePage page="orgs"><OrganizationsPage /></RequirePage> },
      { path: "orgs/:orgId", element: <RequirePage page="orgs"><OrganizationPage /></RequirePage> },
      { path: "orgs/:orgId/teams/:teamId", element: <RequirePage page="teams"><TeamPage /></RequirePage> },
      { path: "teams", element: <RequirePage page="teams"><TeamsPage /></RequirePage> },
      { path: "users", element: <RequirePage page="users"><UsersPage /></RequirePage> },
      { path: "access", element: <RequirePage page="access"><AccessPage /></RequirePage> },
      { path: "end-users", element: <RequirePage page="endusers"><EndUsersPage /></RequirePage> },
      { path: "models", element: <RequirePage page="models"><ModelsPage /></RequirePage> },
      { path: "guardrails", element: <RequirePage page="guardrails"><GuardrailsPage /></RequirePage> },
      { path: "settings", element: <RequirePage page="settings"><SettingsPage /></RequirePage> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes, { basename: "/ui" });
}
