import { MfaError } from "@mfa-kit/client";
import { problem } from "@mfa-kit/protocol";
import { act, screen, waitFor, within } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useMfaContext } from "../mfaContext";
import { startMswServer } from "../test/msw";
import { keyFactor, ORIGIN, smsFactor, totpFactor } from "../test/referenceApi";
import { countDialogOpenings, renderWithMfa } from "../test/render";
import { StepUpModal } from "./StepUpModal";

const server = startMswServer();

/** A button that fires `n` protected calls at once and keeps their promises. */
function Trigger({ n, into }: { n: number; into: Promise<unknown>[] }) {
  const { client } = useMfaContext("Trigger");
  return (
    <button
      type="button"
      onClick={() => {
        for (let i = 0; i < n; i++) {
          const call = client.fetch("/api/data").then((res) => res.json());
          call.catch(() => {}); // tests that leave it pending see it rejected on unmount
          into.push(call);
        }
      }}
    >
      Load
    </button>
  );
}

async function openWith(n: number, options: Parameters<typeof renderWithMfa>[2] = {}) {
  const calls: Promise<unknown>[] = [];
  const openings = countDialogOpenings();
  const view = renderWithMfa(
    <>
      <Trigger n={n} into={calls} />
      <StepUpModal />
    </>,
    server,
    options,
  );
  await view.user.click(screen.getByRole("button", { name: "Load" }));
  const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
  // Ready for an answer once the client has handed the challenge to the provider.
  await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
  return {
    ...view,
    calls,
    dialog,
    openings,
    input: within(dialog).getByLabelText("Verification code"),
  };
}

const settled = (calls: Promise<unknown>[]) => Promise.allSettled(calls);

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("StepUpModal", () => {
  it("opens one accessible dialog for five concurrent calls, and a typed code lets all five through", async () => {
    const { calls, dialog, input, user, api, openings } = await openWith(5);
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(dialog).toHaveAccessibleDescription("Enter the code from your authenticator app.");
    expect(input).toHaveFocus();
    expect(input).toHaveAttribute("autocomplete", "one-time-code");
    expect(input).toHaveAttribute("inputmode", "numeric");

    await user.type(input, "123456"); // no Enter: the last digit submits
    await expect(Promise.all(calls)).resolves.toEqual(Array(5).fill({ data: "secret" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(api.calls.verify).toBe(1);
    expect(api.state.verifyBodies).toEqual([{ factorId: totpFactor.id, code: "123456" }]);
    expect(api.calls.data).toBe(10);
    expect(openings()).toBe(1);
  });

  it("accepts a pasted code with a space in it and resolves every waiting call", async () => {
    const { calls, input, user, api } = await openWith(5);
    await user.click(input);
    await user.paste("123 456");
    await expect(Promise.all(calls)).resolves.toHaveLength(5);
    expect(api.state.verifyBodies).toEqual([{ factorId: totpFactor.id, code: "123456" }]);
  });

  it("says how many attempts are left after a wrong code, then accepts the right one", async () => {
    const { calls, dialog, input, user } = await openWith(2);
    await user.type(input, "000000");
    expect(
      await within(dialog).findByText("That code didn't work. 2 attempts left."),
    ).toBeVisible();
    await waitFor(() => expect(input).toHaveValue(""));
    expect(input).toHaveFocus();

    await user.type(input, "123456");
    await expect(Promise.all(calls)).resolves.toHaveLength(2);
  });

  it("shows a lock with a countdown that reaches zero, then lets the user try again", async () => {
    vi.useFakeTimers({
      shouldAdvanceTime: true,
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
    });
    const { calls, dialog, input, user } = await openWith(1, {
      maxAttempts: 1,
      lockSeconds: 30,
      fakeTimers: true,
    });
    await user.type(input, "999999");
    expect(await within(dialog).findByText("Too many attempts.")).toBeVisible();
    const timer = within(dialog).getByRole("timer");
    expect(timer).toHaveTextContent("0:30");
    expect(input).toHaveAttribute("readonly");
    expect(within(dialog).getByRole("button", { name: "Verify" })).toBeDisabled();

    await act(() => vi.advanceTimersByTimeAsync(29_000));
    expect(timer).toHaveTextContent("0:01");
    await act(() => vi.advanceTimersByTimeAsync(1_000));
    expect(within(dialog).queryByRole("timer")).toBeNull();
    expect(within(dialog).getByText("You can try again now.")).toBeVisible();
    expect(input).not.toHaveAttribute("readonly");
    expect(input).toHaveFocus();

    await user.type(input, "123456");
    await expect(Promise.all(calls)).resolves.toEqual([{ data: "secret" }]);
  });

  // Regression: an outage or a failed delivery was answered as a rate limit and shown as a lock
  // with a countdown.
  it("says something went wrong after an outage or a failed delivery, with no countdown", async () => {
    const { calls, dialog, input, user } = await openWith(1);
    const faults = [
      () =>
        HttpResponse.json(problem("service_unavailable", { retryAfter: 30 }), {
          status: 503,
          headers: { "Retry-After": "30" },
        }),
      () => HttpResponse.json(problem("delivery_failed"), { status: 502 }),
    ];
    server.use(http.post(`${ORIGIN}/mfa/verify`, () => faults.shift()?.()));
    for (let i = 0; i < 2; i++) {
      await user.type(input, "123456");
      expect(await within(dialog).findByText("Something went wrong. Try again.")).toBeVisible();
      expect(within(dialog).queryByRole("timer")).toBeNull();
      expect(within(dialog).queryByText("Too many attempts.")).toBeNull();
      await waitFor(() => expect(input).not.toHaveAttribute("readonly"));
      await waitFor(() => expect(input).toHaveValue(""));
    }
    await user.type(input, "123456");
    await expect(Promise.all(calls)).resolves.toEqual([{ data: "secret" }]);
  });

  it("lets the app word the outage message", async () => {
    const calls: Promise<unknown>[] = [];
    const view = renderWithMfa(
      <>
        <Trigger n={1} into={calls} />
        <StepUpModal messages={{ SERVICE_UNAVAILABLE: "Our servers are busy." }} />
      </>,
      server,
    );
    await view.user.click(screen.getByRole("button", { name: "Load" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
    server.use(
      http.post(`${ORIGIN}/mfa/verify`, () =>
        HttpResponse.json(problem("internal_error"), { status: 500 }),
      ),
    );
    await view.user.type(within(dialog).getByLabelText("Verification code"), "123456");
    expect(await within(dialog).findByText("Our servers are busy.")).toBeVisible();
  });

  it("cancels on Escape: the waiting calls reject with STEP_UP_CANCELLED and focus goes back", async () => {
    const { calls, user } = await openWith(3);
    await user.keyboard("{Escape}");
    const results = await settled(calls);
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const reason = (result as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(MfaError);
      expect(reason.code).toBe("STEP_UP_CANCELLED");
    }
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(screen.getByRole("button", { name: "Load" })).toHaveFocus();
  });

  it("cancels with the Cancel button: the waiting calls reject with STEP_UP_CANCELLED and focus goes back", async () => {
    const { calls, dialog, user } = await openWith(3);
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    const results = await settled(calls);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(results.map((r) => ((r as PromiseRejectedResult).reason as MfaError).code)).toEqual([
      "STEP_UP_CANCELLED",
      "STEP_UP_CANCELLED",
      "STEP_UP_CANCELLED",
    ]);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(screen.getByRole("button", { name: "Load" })).toHaveFocus();
  });

  it("keeps Tab and Shift+Tab inside the dialog", async () => {
    const { dialog, input, user } = await openWith(1);
    const order = ["Verify", "Cancel", "Use a backup code"].map((name) =>
      within(dialog).getByRole("button", { name }),
    );
    for (const button of order) {
      await user.tab();
      expect(button).toHaveFocus();
    }
    await user.tab();
    expect(input).toHaveFocus();
    await user.tab({ shift: true });
    expect(order[2]).toHaveFocus();
  });

  it("answers with a backup code", async () => {
    const { calls, dialog, user, api } = await openWith(2);
    await user.click(within(dialog).getByRole("button", { name: "Use a backup code" }));
    const backup = within(dialog).getByLabelText("Backup code");
    expect(backup).toHaveFocus();
    await user.type(backup, "aaaa-bbbb{Enter}");
    await expect(Promise.all(calls)).resolves.toHaveLength(2);
    expect(api.state.verifyBodies).toEqual([{ backupCode: "aaaa-bbbb" }]);
  });

  it("turns the server's hint on a wrong code into a sentence", async () => {
    const { dialog, input, user } = await openWith(1);
    const hints = [
      { hint: "authenticator_clock_behind", behindS: 180 },
      { hint: "algorithm_mismatch" },
      { hint: "some_future_hint" },
    ];
    server.use(
      http.post(`${ORIGIN}/mfa/verify`, () =>
        HttpResponse.json(
          { ...problem("invalid_code", { attemptsLeft: 2 }), ...hints.shift() },
          {
            status: 400,
            headers: { "Content-Type": "application/problem+json" },
          },
        ),
      ),
    );
    await user.type(input, "000000");
    expect(
      await within(dialog).findByText(
        "That code didn't work. 2 attempts left. The clock on your authenticator seems about 3 min behind: turn on automatic time.",
      ),
    ).toBeVisible();
    await waitFor(() => expect(input).toHaveValue(""));
    await user.type(input, "000000");
    expect(
      await within(dialog).findByText(
        "That code didn't work. 2 attempts left. Your authenticator seems set up with different settings (algorithm or digits): remove the entry and scan the QR code again.",
      ),
    ).toBeVisible();
    await waitFor(() => expect(input).toHaveValue(""));
    // A hint this version has no sentence for: the usual one alone.
    await user.type(input, "000000");
    await waitFor(() => expect(within(dialog).queryByText(/algorithm/)).toBeNull());
    expect(within(dialog).getByText("That code didn't work. 2 attempts left.")).toBeVisible();
  });

  it("takes overridden hint sentences", async () => {
    const calls: Promise<unknown>[] = [];
    const view = renderWithMfa(
      <>
        <Trigger n={1} into={calls} />
        <StepUpModal
          messages={{
            wrongCode: () => "Nope.",
            authenticator_clock_behind: (offset) => `Clock ${offset} late.`,
            algorithm_mismatch: "Scan again.",
          }}
        />
      </>,
      server,
    );
    const hints = [
      { hint: "authenticator_clock_behind", behindS: 90 },
      { hint: "algorithm_mismatch" },
    ];
    server.use(
      http.post(`${ORIGIN}/mfa/verify`, () =>
        HttpResponse.json(
          { ...problem("invalid_code", { attemptsLeft: 1 }), ...hints.shift() },
          {
            status: 400,
            headers: { "Content-Type": "application/problem+json" },
          },
        ),
      ),
    );
    await view.user.click(screen.getByRole("button", { name: "Load" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
    const input = within(dialog).getByLabelText("Verification code");
    await view.user.type(input, "000000");
    expect(await within(dialog).findByText("Nope. Clock 90 s late.")).toBeVisible();
    await waitFor(() => expect(input).toHaveValue(""));
    await view.user.type(input, "000000");
    expect(await within(dialog).findByText("Nope. Scan again.")).toBeVisible();
  });

  // Regression: the warning told the user their device was slow when the server's clock had moved.
  it("names the difference between the clocks without blaming the device", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_750_000_000_000 });
    const { dialog } = await openWith(1, { serverSkewMs: -47_000 });
    expect(
      within(dialog).getByText("This device's clock and the server's differ by 47 s."),
    ).toBeVisible();
    expect(within(dialog).queryByText(/fast|slow/)).toBeNull();
  });

  /**
   * The next data call meets a step-up whose problem says which clock is off, from a server 3 min
   * ahead (registered after the reference API's routes, so this answer wins).
   */
  const stepUpSaying = (clockSide: "server" | "client") =>
    server.use(
      http.get(`${ORIGIN}/api/data`, () =>
        HttpResponse.json(
          { ...problem("mfa_required", { factors: [totpFactor] }), clockSide },
          {
            status: 401,
            headers: {
              "Content-Type": "application/problem+json",
              "WWW-Authenticate": 'Bearer error="insufficient_user_authentication"',
              Date: new Date(Date.now() + 180_000).toUTCString(),
            },
          },
        ),
      ),
    );

  it("names the clock the server says is off, by default", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_750_000_000_000 });
    for (const [side, text] of [
      ["server", "The server's clock is off by 3 min: codes may fail until it is fixed."],
      ["client", "This device's clock is off by 3 min: turn on automatic time."],
    ] as const) {
      const calls: Promise<unknown>[] = [];
      const view = renderWithMfa(
        <>
          <Trigger n={1} into={calls} />
          <StepUpModal />
        </>,
        server,
        { serverSkewMs: 180_000 },
      );
      stepUpSaying(side);
      await view.user.click(screen.getByRole("button", { name: "Load" }));
      const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
      expect(await within(dialog).findByText(text)).toBeVisible();
      view.unmount();
    }
  });

  it("names the clock a failed answer's problem says is off", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_750_000_000_000 });
    const { dialog, user } = await openWith(1, { serverSkewMs: 180_000 });
    server.use(
      http.post(`${ORIGIN}/mfa/verify`, () =>
        HttpResponse.json(
          { ...problem("invalid_code", { attemptsLeft: 2 }), clockSide: "server" },
          { status: 400, headers: { "Content-Type": "application/problem+json" } },
        ),
      ),
    );
    expect(
      within(dialog).getByText("This device's clock and the server's differ by 3 min."),
    ).toBeVisible();
    await user.type(within(dialog).getByLabelText("Verification code"), "000000");
    expect(
      await within(dialog).findByText(
        "The server's clock is off by 3 min: codes may fail until it is fixed.",
      ),
    ).toBeVisible();
  });

  it("hands the side the server says is off to the clock message", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_750_000_000_000 });
    const sides: unknown[] = [];
    const calls: Promise<unknown>[] = [];
    const view = renderWithMfa(
      <>
        <Trigger n={1} into={calls} />
        <StepUpModal
          messages={{
            skew: (offset, _fast, side) => {
              sides.push(side);
              return `Off by ${offset} (${side ?? "unknown"}).`;
            },
          }}
        />
      </>,
      server,
      { serverSkewMs: 180_000 },
    );
    stepUpSaying("server");
    await view.user.click(screen.getByRole("button", { name: "Load" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    expect(await within(dialog).findByText("Off by 3 min (server).")).toBeVisible();
    expect(sides).toContain("server");
  });

  // Regression: during a lock, "Use a backup code" left focus on the link.
  it("moves focus to the backup-code field when switching during a lock", async () => {
    vi.useFakeTimers({
      shouldAdvanceTime: true,
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
    });
    const { dialog, input, user } = await openWith(1, {
      maxAttempts: 1,
      lockSeconds: 30,
      fakeTimers: true,
    });
    await user.type(input, "999999");
    expect(await within(dialog).findByText("Too many attempts.")).toBeVisible();
    await user.click(within(dialog).getByRole("button", { name: "Use a backup code" }));
    expect(within(dialog).getByLabelText("Backup code")).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Use a verification code" }));
    expect(within(dialog).getByLabelText("Verification code")).toHaveFocus();
  });

  // Regression: suspended code factors still take a backup code, yet backup-code mode showed the lock.
  it("shows no lock in backup-code mode while only the code factors are suspended", async () => {
    const { calls, dialog, input, user } = await openWith(1);
    server.use(
      http.post(
        `${ORIGIN}/mfa/verify`,
        () =>
          HttpResponse.json(problem("locked", { status: 403, suspended: true }), { status: 403 }),
        { once: true },
      ),
    );
    await user.type(input, "123456");
    await waitFor(() => expect(input).toHaveValue(""));
    await user.click(within(dialog).getByRole("button", { name: "Use a backup code" }));
    const backup = within(dialog).getByLabelText("Backup code");
    expect(backup).toHaveFocus();
    expect(within(dialog).queryByText("You can try again now.")).toBeNull();
    expect(within(dialog).queryByText("Too many attempts.")).toBeNull();
    expect(within(dialog).queryByText("That didn't work. Try again.")).toBeNull();
    expect(backup).not.toHaveAttribute("readonly");
    await user.type(backup, "aaaa-bbbb{Enter}");
    await expect(Promise.all(calls)).resolves.toHaveLength(1);
  });

  it("sends an SMS code on request and answers with its challenge", async () => {
    const { calls, dialog, user, api } = await openWith(1, { factors: [smsFactor] });
    expect(dialog).toHaveAccessibleDescription("We'll send a code to +1 ••• ••• 4567.");
    await user.click(within(dialog).getByRole("button", { name: "Send code" }));
    const input = within(dialog).getByLabelText("Verification code");
    await waitFor(() => expect(input).toHaveFocus());
    expect(dialog).toHaveAccessibleDescription("Enter the code sent to +1 ••• ••• 4567.");
    await user.type(input, "123456");
    await expect(Promise.all(calls)).resolves.toHaveLength(1);
    expect(api.state.verifyBodies).toEqual([
      { factorId: smsFactor.id, challengeId: "ch1", code: "123456" },
    ]);
  });

  describe("with a security key", () => {
    const credential = () => ({
      id: "cred-1",
      rawId: new Uint8Array([1, 2, 3]).buffer,
      type: "public-key",
      authenticatorAttachment: "cross-platform",
      response: {
        authenticatorData: new Uint8Array([4]).buffer,
        clientDataJSON: new Uint8Array([5]).buffer,
        signature: new Uint8Array([6]).buffer,
        userHandle: null,
      },
      getClientExtensionResults: () => ({}),
    });

    function stubWebAuthn(get: () => Promise<unknown>) {
      vi.stubGlobal("PublicKeyCredential", vi.fn());
      const spy = vi.fn(get);
      vi.stubGlobal(
        "navigator",
        Object.assign(Object.create(navigator), { credentials: { get: spy } }),
      );
      return spy;
    }

    it("verifies with the key", async () => {
      const get = stubWebAuthn(async () => credential());
      const { calls, dialog, user, api } = await openWith(2, { factors: [totpFactor, keyFactor] });
      await user.click(within(dialog).getByRole("button", { name: "Use security key" }));
      await expect(Promise.all(calls)).resolves.toHaveLength(2);
      expect(get).toHaveBeenCalledOnce();
      expect(api.state.verifyBodies).toHaveLength(1);
      expect(api.state.verifyBodies[0]).toMatchObject({
        factorId: keyFactor.id,
        challengeId: "ch1",
        webauthn: { id: "cred-1", type: "public-key" },
      });
    });

    it("stays usable after the user dismisses the browser's prompt, without an error", async () => {
      const get = stubWebAuthn(() =>
        Promise.reject(new DOMException("The operation was not allowed.", "NotAllowedError")),
      );
      const { calls, dialog, user, api } = await openWith(1, { factors: [totpFactor, keyFactor] });
      const key = within(dialog).getByRole("button", { name: "Use security key" });
      await user.click(key);
      await waitFor(() => expect(get).toHaveBeenCalledOnce());
      await waitFor(() => expect(key).toBeEnabled());
      expect(within(dialog).queryByText(/couldn't|failed|didn't/i)).toBeNull();
      expect(api.calls.verify).toBeUndefined();

      await user.type(within(dialog).getByLabelText("Verification code"), "123456");
      await expect(Promise.all(calls)).resolves.toHaveLength(1);
    });

    it("says so when the key fails, and stays usable", async () => {
      stubWebAuthn(() => Promise.reject(new DOMException("Bad RP ID", "SecurityError")));
      const { calls, dialog, user } = await openWith(1, { factors: [totpFactor, keyFactor] });
      await user.click(within(dialog).getByRole("button", { name: "Use security key" }));
      expect(await within(dialog).findByText("Your security key couldn't be used.")).toBeVisible();
      await user.type(within(dialog).getByLabelText("Verification code"), "123456");
      await expect(Promise.all(calls)).resolves.toHaveLength(1);
    });

    it("is hidden when the browser has no WebAuthn", async () => {
      const { dialog } = await openWith(1, { factors: [totpFactor, keyFactor] });
      expect(within(dialog).queryByRole("button", { name: "Use security key" })).toBeNull();
    });
  });
});
