import { problem } from "@mfa-kit/protocol";
import { act, screen } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { seriousViolations } from "../test/axe";
import { startMswServer } from "../test/msw";
import { ORIGIN, totpFactor } from "../test/referenceApi";
import { renderWithMfa } from "../test/render";
import { ContactEnrollment } from "./ContactEnrollment";
import { FactorList } from "./FactorList";

const server = startMswServer();
// axe-core in jsdom takes seconds on a loaded machine.
vi.setConfig({ testTimeout: 30_000 });

afterEach(() => {
  vi.useRealTimers();
});

/** An app that closes the form as soon as the factor is added, as the demo does. */
function ClosingForm() {
  const [open, setOpen] = useState(true);
  return (
    <>
      {open && <ContactEnrollment channel="sms" onComplete={() => setOpen(false)} />}
      <FactorList />
    </>
  );
}

describe("ContactEnrollment", () => {
  it("adds a phone number with the keyboard only: number, code, confirm; the list shows it", async () => {
    const onComplete = vi.fn();
    const { user, api, container } = renderWithMfa(
      <>
        <ContactEnrollment channel="sms" onComplete={onComplete} />
        <FactorList />
      </>,
      server,
      { factors: [totpFactor] },
    );
    expect(screen.getByLabelText("Phone number")).toHaveFocus();
    expect(await seriousViolations(container)).toEqual([]);
    await user.keyboard("+44 7700 900123{Enter}");
    expect(await screen.findByText("We sent a code to +447700900123.")).toBeVisible();
    expect(screen.getByLabelText("Enter the 6-digit code")).toHaveFocus();
    expect(await seriousViolations(container)).toEqual([]);
    await user.keyboard("123456");
    expect(await screen.findByText(/is set up/)).toBeVisible();
    expect(onComplete).toHaveBeenCalledWith(
      expect.objectContaining({ factor: expect.objectContaining({ type: "sms" }) }),
    );
    expect(await screen.findByRole("button", { name: "Remove “•••”" })).toBeVisible();
    expect(api.calls.enrollContact).toBe(1);
  });

  it("checks the number before sending, and says how to write it", async () => {
    const { user, api } = renderWithMfa(<ContactEnrollment channel="sms" />, server);
    await user.keyboard("07700 900123{Enter}");
    expect(screen.getByRole("alert")).toHaveTextContent("with its country code");
    expect(screen.getByLabelText("Phone number")).toHaveAttribute("aria-invalid", "true");
    expect(api.calls.enrollContact).toBeUndefined();
  });

  it("offers SMS or e-mail, and says a wrong code is wrong", async () => {
    const { user } = renderWithMfa(<ContactEnrollment />, server);
    await user.click(screen.getByRole("radio", { name: "E-mail" }));
    expect(screen.getByRole("heading", { name: "Add an e-mail address" })).toBeVisible();
    await user.type(screen.getByLabelText("E-mail address"), "me@example.com{Enter}");
    await user.keyboard("000000");
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "That code didn't work. 2 attempts left.",
    );
    expect(screen.getByLabelText("Enter the 6-digit code")).toHaveValue("");
  });

  it("counts down the cooldown before a new code, and follows the server's Retry-After", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { user, api } = renderWithMfa(
      <ContactEnrollment channel="email" resendAfterMs={10_000} />,
      server,
      {
        fakeTimers: true,
      },
    );
    await user.type(screen.getByLabelText("E-mail address"), "me@example.com{Enter}");
    const resend = await screen.findByRole("button", { name: /Send a new code in 0:1\d/ });
    expect(resend).toHaveAttribute("aria-disabled", "true");
    await user.click(resend);
    expect(api.calls.challenge).toBeUndefined();
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(screen.getByRole("button", { name: "Send a new code" })).not.toHaveAttribute(
      "aria-disabled",
    );
    // The server still wants 25 s: the countdown follows it.
    server.use(
      http.post(`${ORIGIN}/mfa/challenge`, () =>
        HttpResponse.json(problem("rate_limited", { retryAfter: 25 }), {
          status: 429,
          headers: { "Retry-After": "25" },
        }),
      ),
    );
    await user.click(screen.getByRole("button", { name: "Send a new code" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("You can ask for another in 0:2");
    expect(screen.getByRole("button", { name: /Send a new code in 0:2\d/ })).toBeVisible();
    server.resetHandlers();
    server.use(...api.handlers);
    await act(() => vi.advanceTimersByTimeAsync(25_000));
    await user.click(screen.getByRole("button", { name: "Send a new code" }));
    expect(await screen.findByText("A new code is on its way.")).toBeVisible();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  // Regression: the list was refreshed from a state update that the closed form never ran.
  it("refreshes the factor list even when the app closes the form on completion", async () => {
    const { user } = renderWithMfa(<ClosingForm />, server, { factors: [totpFactor] });
    await user.type(screen.getByLabelText("Phone number"), "+447700900123{Enter}");
    await user.type(await screen.findByLabelText("Enter the 6-digit code"), "123456");
    expect(await screen.findByRole("button", { name: "Remove “•••”" })).toBeVisible();
    expect(screen.queryByLabelText("Phone number")).toBeNull();
  });
});
