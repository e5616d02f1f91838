import { MockedProvider } from "@apollo/client/testing/react";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { AdmissionLevelKind, AdmissionLimit } from "../../../gql/graphql";
import { key } from "../../../test/fixtures";
import { KeyAdmissionQuery } from "../operations";
import { KeyAdmission } from "./KeyAdmissionDrawer";

const level = { __typename: "AdmissionLevel", kind: AdmissionLevelKind.Key, ownerId: "k1", model: null };

function admission(variables: Record<string, unknown>, dryRun: unknown) {
  return {
    request: { query: KeyAdmissionQuery, variables: { keyId: "k1", ...variables } },
    result: {
      data: {
        keyAdmission: {
          __typename: "KeyAdmission",
          keyId: "k1",
          checkedAt: "2026-12-02T10:00:00Z",
          levels: [
            {
              ...level,
              rpm: { __typename: "RateUsage", limit: 10, used: 10, remaining: 0, resetsAt: "2026-12-02T10:01:00Z" },
              tpm: null,
              parallel: null,
              budget: null,
            },
          ],
          tightest: [{ __typename: "TightestLimit", limit: AdmissionLimit.Rpm, remaining: "0", level }],
          dryRun,
        },
      },
    },
  };
}

describe("the key's dry run", () => {
  it("validates the form, then shows the rule that would refuse the call", async () => {
    const user = userEvent.setup();
    render(
      <MockedProvider
        mocks={[
          admission({ model: null, estimatedTokens: 0, maxOutputTokens: null }, null),
          admission(
            { model: "demo", estimatedTokens: 500, maxOutputTokens: 100 },
            {
              __typename: "AdmissionDryRun",
              model: "demo",
              modelGroup: "demo",
              estimatedTokens: 500,
              maxOutputTokens: 100,
              reserve: "0",
              admitted: false,
              refusal: {
                __typename: "AdmissionRefusal",
                code: "rate_limited",
                message: "Key rpm limit reached",
                limit: AdmissionLimit.Rpm,
                retryAfterSeconds: 41.2,
                level,
              },
            },
          ),
        ]}
      >
        <KeyAdmission keyRow={key({ id: "k1", models: ["demo"] })} />
      </MockedProvider>,
    );
    expect(await screen.findByRole("row", { name: "Key Requests / minute (tightest)" })).toBeInTheDocument();
    expect(screen.getByLabelText("Model")).toHaveValue("demo");
    await user.clear(screen.getByLabelText("Estimated input tokens"));
    await user.type(screen.getByLabelText("Estimated input tokens"), "many");
    await user.click(screen.getByRole("button", { name: "Check this call" }));
    expect(screen.getByLabelText("Estimated input tokens")).toHaveAccessibleDescription("A whole number, 0 or more.");
    await user.clear(screen.getByLabelText("Estimated input tokens"));
    await user.type(screen.getByLabelText("Estimated input tokens"), "500");
    await user.type(screen.getByLabelText("Max output tokens"), "100");
    await user.click(screen.getByRole("button", { name: "Check this call" }));
    const result = await screen.findByText("Would be refused");
    expect(result.parentElement).toHaveTextContent("rate_limited at Key · Requests / minute");
    expect(result.parentElement).toHaveTextContent("Key rpm limit reached");
    expect(result.parentElement).toHaveTextContent("Retry after42 s");
  });
});
