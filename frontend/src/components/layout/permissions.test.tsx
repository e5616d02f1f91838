import { cleanup, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";

import { ViewerProvider } from "../../features/auth/viewer";
import { OrgRole, PlatformRole } from "../../gql/graphql";
import { viewer } from "../../test/fixtures";
import { RequirePage } from "./RequirePage";
import { Sidebar } from "./Sidebar";

function renderAs(v: ReturnType<typeof viewer>, ui: React.ReactNode) {
  return render(
    <MemoryRouter>
      <ViewerProvider viewer={v}>{ui}</ViewerProvider>
    </MemoryRouter>,
  );
}

describe("navigation gated by role", () => {
  it("shows a plain organization member no audit log", () => {
    renderAs(viewer({ orgRoles: [{ __typename: "OrgRoleGrant", orgId: "o1", role: OrgRole.OrgMember }] } as never), <Sidebar />);
    expect(screen.getByRole("link", { name: "API keys" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Audit log" })).not.toBeInTheDocument();
  });

  it("shows an organization auditor the audit log", () => {
    renderAs(viewer({ orgRoles: [{ orgId: "o1", role: OrgRole.OrgAuditor }] }), <Sidebar />);
    expect(screen.getByRole("link", { name: "Audit log" })).toBeInTheDocument();
  });

  it.each([PlatformRole.PlatformAdmin, PlatformRole.PlatformCoAdmin])("shows %s every page", (role) => {
    renderAs(viewer({ platformRole: role }), <Sidebar />);
    for (const name of ["Dashboard", "API keys", "Key hygiene", "Playground", "Usage", "Audit log"]) {
      expect(screen.getByRole("link", { name })).toBeInTheDocument();
    }
    expect(screen.getByRole("link", { name: /GraphiQL/ })).toHaveAttribute("href", "/graphql");
  });

  it("answers direct navigation to a forbidden page with 'not allowed'", () => {
    renderAs(viewer(), <RequirePage page="audit"><p>secret audit</p></RequirePage>);
    expect(screen.getByRole("heading", { name: "Not allowed" })).toBeInTheDocument();
    expect(screen.queryByText("secret audit")).not.toBeInTheDocument();
  });

  it("renders an allowed page", () => {
    renderAs(viewer({ platformRole: PlatformRole.PlatformAdmin }), <RequirePage page="audit"><p>audit page</p></RequirePage>);
    expect(screen.getByText("audit page")).toBeInTheDocument();
  });

  it("shows an organization user Organizations and Teams but no Users, Access control or End users", () => {
    renderAs(viewer({ orgRoles: [{ orgId: "o1", role: OrgRole.OrgOwner }] }), <Sidebar />);
    expect(screen.getByRole("link", { name: "Organizations" })).toHaveAttribute("href", "/orgs");
    expect(screen.getByRole("link", { name: "Teams" })).toHaveAttribute("href", "/teams");
    for (const name of ["Users", "Access control", "End users"]) {
      expect(screen.queryByRole("link", { name })).not.toBeInTheDocument();
    }
  });

  it.each([PlatformRole.PlatformAdmin, PlatformRole.PlatformCoAdmin])("shows %s the people pages", (role) => {
    renderAs(viewer({ platformRole: role }), <Sidebar />);
    for (const name of ["Organizations", "Teams", "Users", "Access control", "End users"]) {
      expect(screen.getByRole("link", { name })).toBeInTheDocument();
    }
  });

  it.each(["users", "access", "endusers"] as const)("answers an organization user's direct navigation to %s with 'not allowed'", (page) => {
    renderAs(viewer({ orgRoles: [{ orgId: "o1", role: OrgRole.OrgOwner }] }), <RequirePage page={page}><p>people</p></RequirePage>);
    expect(screen.getByRole("heading", { name: "Not allowed" })).toBeInTheDocument();
    expect(screen.queryByText("people")).not.toBeInTheDocument();
  });
});

describe("the gateway's own pages", () => {
  it.each([PlatformRole.PlatformAdmin, PlatformRole.PlatformCoAdmin])("are in %s's navigation", (role) => {
    renderAs(viewer({ platformRole: role }), <Sidebar />);
    for (const name of ["Models", "Guardrails", "Settings"]) {
      expect(screen.getByRole("link", { name })).toBeInTheDocument();
    }
  });

  it("are not in an organization owner's navigation, and direct navigation is not allowed", () => {
    const owner = viewer({ orgRoles: [{ orgId: "o1", role: OrgRole.OrgOwner }] } as never);
    renderAs(owner, <Sidebar />);
    for (const name of ["Models", "Guardrails", "Settings"]) {
      expect(screen.queryByRole("link", { name })).not.toBeInTheDocument();
    }
    cleanup();
    for (const page of ["models", "guardrails", "settings"] as const) {
      renderAs(owner, <RequirePage page={page}><p>gateway page</p></RequirePage>);
      expect(screen.getByRole("heading", { name: "Not allowed" })).toBeInTheDocument();
      expect(screen.queryByText("gateway page")).not.toBeInTheDocument();
      cleanup();
    }
  });
});
