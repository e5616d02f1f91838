import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { OrgRole } from "../../../gql/graphql";
import { ORG_ROLE_LABELS } from "../roles";
import { MembersCard, type MemberPage } from "./MembersCard";

const PAGE: MemberPage<OrgRole> = {
  rows: [{ userId: "u1", email: "owner@example.com", displayName: null, role: OrgRole.OrgOwner }],
  total: 1,
  page: 1,
  hasNext: false,
  onPrevious: () => undefined,
  onNext: () => undefined,
};

function renderCard(canEdit: boolean, onSetRole = vi.fn(async () => null as string | null), onRemove = vi.fn(async () => null as string | null)) {
  render(
    <MembersCard<OrgRole>
      of="organization"
      roles={ORG_ROLE_LABELS}
      defaultRole={OrgRole.OrgMember}
      loading={false}
      error={undefined}
      page={PAGE}
      canEdit={canEdit}
      candidates={null}
      onSetRole={onSetRole}
      onRemove={onRemove}
      onRetry={() => undefined}
    />,
  );
  return { onSetRole, onRemove };
}

describe("members", () => {
  it("needs a user before adding, then shows the API's refusal on the user field", async () => {
    const user = userEvent.setup();
    const onSetRole = vi.fn(async () => "There is no user nobody." as string | null);
    renderCard(true, onSetRole);
    const form = screen.getByRole("form", { name: "Add a member to the organization" });
    await user.click(within(form).getByRole("button", { name: "Add member" }));
    expect(within(form).getByLabelText("User id")).toHaveAccessibleDescription("Enter the user's id.");
    expect(onSetRole).not.toHaveBeenCalled();

    await user.type(within(form).getByLabelText("User id"), "nobody");
    await user.selectOptions(within(form).getByLabelText("Role"), OrgRole.OrgAuditor);
    await user.click(within(form).getByRole("button", { name: "Add member" }));
    expect(onSetRole).toHaveBeenCalledWith("nobody", OrgRole.OrgAuditor);
    expect(within(form).getByLabelText("User id")).toHaveAccessibleDescription("There is no user nobody.");
  });

  it("shows the last owner refusal when a role change is refused", async () => {
    const user = userEvent.setup();
    renderCard(true, vi.fn(async () => "An organization keeps at least one owner." as string | null));
    await user.selectOptions(screen.getByRole("combobox", { name: "Role of owner@example.com" }), OrgRole.OrgMember);
    expect(await screen.findByRole("alert")).toHaveTextContent("An organization keeps at least one owner.");
  });

  it("shows roles read-only to whoever does not manage the organization", () => {
    renderCard(false);
    const table = screen.getByRole("table", { name: "Members of the organization" });
    expect(within(table).getByRole("row", { name: /owner@example.com/ })).toHaveTextContent("Owner");
    expect(screen.queryByRole("combobox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Remove/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("form")).not.toBeInTheDocument();
  });
});
