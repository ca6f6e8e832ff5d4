import { createMfaClient } from "@mfa-kit/client";
import { render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { StepUpModal } from "./components/StepUpModal";
import { MfaProvider } from "./MfaProvider";
import { startMswServer } from "./test/msw";
import { referenceApi } from "./test/referenceApi";

const server = startMswServer();

describe("MfaProvider", () => {
  it("answers the client's challenges while mounted and hands back the previous handler after", async () => {
    const api = referenceApi();
    server.use(...api.handlers);
    const previous = vi.fn(async () => ({ code: "123456" }));
    const mfa = createMfaClient({ getAccessToken: () => "primary-token", onChallenge: previous });
    const view = render(
      <MfaProvider client={mfa}>
        <StepUpModal />
      </MfaProvider>,
    );

    const waiting = mfa.fetch("/api/data");
    expect(await screen.findByRole("dialog")).toBeVisible();
    expect(previous).not.toHaveBeenCalled();

    // Unmounted with a call waiting: nobody can answer it any more, so it fails instead of hanging.
    view.unmount();
    await expect(waiting).rejects.toMatchObject({ code: "STEP_UP_CANCELLED" });

    await expect(mfa.fetch("/api/data")).resolves.toMatchObject({ status: 200 });
    expect(previous).toHaveBeenCalledOnce();
  });

  it("adds its stylesheet once, and not when asked not to", async () => {
    document.getElementById("mfa-kit-styles")?.remove(); // left by the test before
    const mfa = createMfaClient({ getAccessToken: () => "primary-token" });
    const first = render(<MfaProvider client={mfa} styleNonce="abc" />);
    render(<MfaProvider client={mfa} />);
    const styles = document.querySelectorAll("style#mfa-kit-styles");
    expect(styles).toHaveLength(1);
    expect(styles[0]?.textContent).toContain("--mfa-accent");
    expect((styles[0] as HTMLStyleElement).nonce).toBe("abc");
    first.unmount();
    styles[0]?.remove();

    render(<MfaProvider client={mfa} injectStyles={false} />);
    await waitFor(() => expect(document.querySelector("style#mfa-kit-styles")).toBeNull());
  });
});
