// @vitest-environment node
import { createMfaClient } from "@mfa-kit/client";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { BackupCodes, MfaProvider, StepUpModal, TotpEnrollment } from "./index";

describe("server-side rendering", () => {
  it("imports and renders without a window", () => {
    expect(typeof window).toBe("undefined");
    const mfa = createMfaClient({
      baseUrl: "https://app.example.com",
      getAccessToken: () => "primary-token",
    });
    const html = renderToString(
      <MfaProvider client={mfa}>
        <TotpEnrollment autoStart={false} />
        <BackupCodes codes={["aaaa-1111"]} />
        <StepUpModal />
      </MfaProvider>,
    );
    expect(html).toContain("Set up authenticator app");
    expect(html).toContain("aaaa-1111");
    expect(html).not.toContain('role="dialog"');
  });
});
