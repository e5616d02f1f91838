import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { CacheMode, CacheScope, CacheType, RoutingStrategy, type CacheFieldsFragment, type RouterFieldsFragment } from "../../../gql/graphql";
import { fieldErrors } from "../settingsForm";
import { CacheSection, type FlushOutcome } from "./CacheSection";
import { RouterSection } from "./SettingsSections";

const ROUTER: RouterFieldsFragment = {
  routingStrategy: RoutingStrategy.SimpleShuffle,
  numRetries: 2,
  timeout: 600,
  streamTimeout: null,
  retryAfter: 0,
  allowedFails: 3,
  cooldownTime: 30,
  overridden: [],
};

const CACHE: CacheFieldsFragment = {
  enabled: false,
  type: CacheType.Local,
  ttl: 600,
  namespace: null,
  maxEntryBytes: 1_048_576,
  callTypes: ["chat_completions", "completions", "embeddings"],
  mode: CacheMode.DefaultOn,
  scope: CacheScope.Org,
  chargeHits: false,
  maxSizeBytes: 67_108_864,
  s3BucketName: null,
  s3RegionName: null,
  s3EndpointUrl: null,
  s3HasCredentials: false,
  overridden: false,
};

describe("RouterSection", () => {
  it("checks the numbers before sending, then sends only what changed", async () => {
    const onSubmit = vi.fn(async () => null);
    render(<RouterSection current={ROUTER} editable onSubmit={onSubmit} />);
    await userEvent.clear(screen.getByLabelText("Retries"));
    await userEvent.type(screen.getByLabelText("Retries"), "11");
    await userEvent.clear(screen.getByLabelText("Timeout (s)"));
    await userEvent.type(screen.getByLabelText("Timeout (s)"), "0");
    await userEvent.click(screen.getByRole("button", { name: "Save router" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Retries")).toHaveAccessibleDescription("A whole number from 0 to 10.");
    expect(screen.getByLabelText("Timeout (s)")).toHaveAccessibleDescription("A number above 0.");

    await userEvent.clear(screen.getByLabelText("Retries"));
    await userEvent.type(screen.getByLabelText("Retries"), "4");
    await userEvent.clear(screen.getByLabelText("Timeout (s)"));
    await userEvent.type(screen.getByLabelText("Timeout (s)"), "600");
    await userEvent.type(screen.getByLabelText("Stream timeout (s)"), "90");
    await userEvent.selectOptions(screen.getByLabelText("Routing strategy"), RoutingStrategy.LeastBusy);
    await userEvent.click(screen.getByRole("button", { name: "Save router" }));
    expect(onSubmit).toHaveBeenCalledWith({ numRetries: 4, streamTimeout: 90, routingStrategy: RoutingStrategy.LeastBusy });
    expect(await screen.findByText(/^Saved\./)).toBeInTheDocument();
  });

  it("shows the API's refusal on the field it names", async () => {
    const onSubmit = vi.fn(async () =>
      fieldErrors([{ field: "cooldownTime", message: "cooldown_time: too long" }], ["cooldownTime"]),
    );
    render(<RouterSection current={ROUTER} editable onSubmit={onSubmit} />);
    await userEvent.clear(screen.getByLabelText("Cooldown (s)"));
    await userEvent.type(screen.getByLabelText("Cooldown (s)"), "99999");
    await userEvent.click(screen.getByRole("button", { name: "Save router" }));
    expect(await screen.findByLabelText("Cooldown (s)")).toHaveAccessibleDescription("cooldown_time: too long");
  });

  it("is read only for those who may not change it", () => {
    render(<RouterSection current={ROUTER} editable={false} onSubmit={async () => null} />);
    expect(screen.getByLabelText("Retries")).toBeDisabled();
    expect(screen.getByLabelText("Routing strategy")).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Save router" })).not.toBeInTheDocument();
  });
});

describe("CacheSection", () => {
  it("refuses a bad namespace and sends the calls chosen", async () => {
    const onSubmit = vi.fn(async () => null);
    render(<CacheSection current={CACHE} editable onSubmit={onSubmit} />);
    await userEvent.type(screen.getByLabelText("Namespace"), "two words");
    await userEvent.click(screen.getByRole("button", { name: "Save response cache" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByLabelText("Namespace")).toHaveAttribute("aria-invalid", "true");
    await userEvent.clear(screen.getByLabelText("Namespace"));
    await userEvent.type(screen.getByLabelText("Namespace"), "prod");
    await userEvent.click(screen.getByLabelText("Embeddings"));
    await userEvent.click(screen.getByLabelText("Cache responses"));
    await userEvent.click(screen.getByRole("button", { name: "Save response cache" }));
    expect(onSubmit).toHaveBeenCalledWith({ enabled: true, namespace: "prod", callTypes: ["chat_completions", "completions"] });
  });

  it("sends the mode and scope chosen, and shows S3 fields for the S3 backend only", async () => {
    const onSubmit = vi.fn(async () => null);
    render(<CacheSection current={CACHE} editable onSubmit={onSubmit} />);
    expect(screen.queryByLabelText("S3 bucket")).not.toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText("Which calls"), CacheMode.DefaultOff);
    await userEvent.selectOptions(screen.getByLabelText("Shared"), CacheScope.Key);
    await userEvent.selectOptions(screen.getByLabelText("Where entries live"), CacheType.S3);
    await userEvent.type(screen.getByLabelText("S3 bucket"), "answers");
    await userEvent.click(screen.getByRole("button", { name: "Save response cache" }));
    expect(onSubmit).toHaveBeenCalledWith({ mode: CacheMode.DefaultOff, scope: CacheScope.Key, type: CacheType.S3, s3BucketName: "answers" });
  });

  it("offers the flush only when given one, confirms it and shows the count or the refusal", async () => {
    const { unmount } = render(<CacheSection current={CACHE} editable onSubmit={async () => null} />);
    expect(screen.queryByRole("button", { name: "Flush cache" })).not.toBeInTheDocument();
    unmount();
    const onFlush = vi.fn<() => Promise<FlushOutcome>>().mockResolvedValueOnce({ deleted: 3 }).mockResolvedValueOnce({ error: "The cache is off." });
    render(<CacheSection current={CACHE} editable onSubmit={async () => null} onFlush={onFlush} />);
    await userEvent.click(screen.getByRole("button", { name: "Flush cache" }));
    expect(onFlush).not.toHaveBeenCalled();
    const dialog = screen.getByRole("dialog");
    await userEvent.click(within(dialog).getByRole("button", { name: "Flush cache" }));
    expect(await within(dialog).findByText("The cache was emptied: 3 entries deleted.")).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole("button", { name: "Done" }));
    await userEvent.click(screen.getByRole("button", { name: "Flush cache" }));
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Flush cache" }));
    expect(await screen.findByText("The cache is off.")).toBeInTheDocument();
  });
});
