import { parseStepUpChallenge } from "@mfa-kit/protocol";
import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { setupServer } from "msw/node";
import { generateSync } from "otplib";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { createDemoApi, type DemoApi } from "./api/createDemoApi";
import { DEMO_USER } from "./api/demoUser";
import { createDemoClients } from "./app/createDemoClients";
import { createHandlers } from "./mocks/handlers";
import { App } from "./ui/App";

// The client, the React layer and the server kit together: the demo app rendered in jsdom, its
// API served by msw/node with the same handlers the browser worker uses.

const server = setupServer();
const ORIGIN = window.location.origin;
// One second into a 30-second TOTP step: no phase of a test comes near a step boundary.
const T0 = Date.UTC(2030, 0, 1, 12, 0, 1);

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  vi.useRealTimers();
});
afterAll(() => server.close());

interface Seen {
  method: string;
  path: string;
  status: number;
  headers: Headers;
}

function renderDemo() {
  vi.useFakeTimers({
    now: T0,
    shouldAdvanceTime: true,
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
  const api = createDemoApi({ passwordIterations: 1_000 });
  const seen: Seen[] = [];
  server.use(
    ...createHandlers(
      {
        async handleRequest(req) {
          const res = await api.handleRequest(req);
          const { pathname } = new URL(req.url);
          seen.push({
            method: req.method,
            path: pathname,
            status: res.status,
            headers: res.headers,
          });
          return res;
        },
      },
      ORIGIN,
    ),
  );
  const clients = createDemoClients({ baseUrl: ORIGIN });
  const user = userEvent.setup({ advanceTimers: (ms) => vi.advanceTimersByTime(ms) });
  render(<App clients={clients} />);
  const count = (method: string, path: string) =>
    seen.filter((s) => s.method === method && s.path === path).length;
  return { api, clients, user, seen, count };
}

/** The code an authenticator app shows now (the demo's server clock has no skew here). */
const codeNow = (secret: string) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) });

const advance = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));

async function signIn(user: ReturnType<typeof userEvent.setup>) {
  await user.type(await screen.findByLabelText("Username"), DEMO_USER.username);
  await user.type(screen.getByLabelText("Password"), DEMO_USER.password);
  await user.click(screen.getByRole("button", { name: "Sign in" }));
}

/** Enrolls a TOTP factor for the demo user through the API, as a returning user would have. */
async function seedFactor(api: DemoApi): Promise<string> {
  const call = async (path: string, body: unknown, token?: string) =>
    (
      await api.handleRequest(
        new Request(`${ORIGIN}${path}`, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        }),
      )
    ).json();
  const { accessToken } = await call("/api/auth/signin", {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  });
  const { factorId, secret } = await call("/mfa/totp/enroll", {}, accessToken);
  await call(`/mfa/factors/${factorId}/activate`, { code: codeNow(secret) }, accessToken);
  return secret;
}

async function stepUpDialog() {
  const dialog = await screen.findByRole("dialog", {}, { timeout: 5_000 });
  return { dialog, input: within(dialog).getByLabelText("Verification code") };
}

describe("the demo, client + React + server kit together", { timeout: 30_000 }, () => {
  test("sign in, enroll, protected call, token refresh, step-up for a transfer", async () => {
    const { user, count, seen } = renderDemo();
    await signIn(user);

    // Enrollment: the QR code and the grouped key; the code comes from the returned secret.
    const enrollment = await screen.findByRole("region", { name: "Set up an authenticator app" });
    // The key for manual entry, grouped in fours, is what a user would type into the app.
    const key = await within(enrollment).findByText(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    const secret = key.textContent!.replace(/ /g, "");
    expect(within(enrollment).getByRole("img", { name: /QR code/ })).toBeTruthy();
    await user.type(within(enrollment).getByLabelText(/6-digit code/), codeNow(secret));

    // Backup codes, shown once, closed only once saved.
    const codes = await screen.findByRole("list", { name: "Backup codes" });
    expect(within(codes).getAllByRole("listitem")).toHaveLength(10);
    await user.click(screen.getByLabelText("I have saved these codes"));
    await user.click(screen.getByRole("button", { name: "Done" }));

    // The account page's protected calls need an MFA session: one modal for all of them.
    let { dialog, input } = await stepUpDialog();
    expect(within(dialog).getByRole("heading", { name: "Confirm it's you" })).toBeTruthy();
    await advance(30_000); // the activation used this step's code: wait for the next one
    await user.type(input, codeNow(secret));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(await screen.findByText("Dana Demo", { selector: "dd" })).toBeTruthy();
    expect(screen.getByTestId("balance").textContent).toBe("2500.00 EUR");
    expect(count("POST", "/mfa/verify")).toBe(1);

    // The access token expires (60 s): the next calls are refreshed once and replayed.
    vi.setSystemTime(Date.now() + 61_000);
    const refreshesBefore = count("POST", "/api/auth/refresh");
    await user.click(screen.getByRole("button", { name: "Reload profile" }));
    await waitFor(() =>
      expect(screen.getByRole("button", { name: "Reload profile" }).hasAttribute("disabled")).toBe(
        false,
      ),
    );
    expect(count("POST", "/api/auth/refresh") - refreshesBefore).toBe(1);
    expect(
      seen
        .filter((s) => s.path === "/api/profile")
        .map((s) => s.status)
        .slice(-2),
    ).toEqual([401, 200]);

    // Five minutes after the verification a transfer is sensitive again: step-up, then it goes.
    vi.setSystemTime(Date.now() + 300_000);
    await user.type(screen.getByLabelText("Recipient"), "Alex");
    await user.type(screen.getByLabelText("Amount (EUR)"), "25");
    await user.click(screen.getByRole("button", { name: "Send" }));
    ({ dialog, input } = await stepUpDialog());
    const challenge = seen.filter((s) => s.path === "/api/transfers" && s.status === 401).at(-1);
    expect(parseStepUpChallenge(challenge!.headers)).toMatchObject({ maxAge: 300 });
    await user.type(input, codeNow(secret));
    const transfer = screen.getByRole("region", { name: "Send money" });
    expect(await within(transfer).findByText("Sent 25.00 EUR to Alex.")).toBeTruthy();
    expect(
      seen.filter((s) => s.method === "POST" && s.path === "/api/transfers").at(-1)?.status,
    ).toBe(201);
    await waitFor(() => expect(screen.getByTestId("balance").textContent).toBe("2475.00 EUR"));
  });

  test("a replayed code is refused, the next one accepted", async () => {
    const { api, user, count } = renderDemo();
    const secret = await seedFactor(api);
    await advance(30_000);
    await signIn(user);
    let { dialog, input } = await stepUpDialog();
    const code = codeNow(secret);
    await user.type(input, code);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());

    // "Verify again now" asks for a fresh verification; the same code is a replay.
    await user.click(await screen.findByRole("button", { name: "Verify again now" }));
    ({ dialog, input } = await stepUpDialog());
    await user.type(input, code);
    expect(await within(dialog).findByText(/already used/)).toBeTruthy();
    await advance(30_000);
    await user.type(input, codeNow(secret));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(count("POST", "/mfa/verify")).toBe(3);
  });

  test("a password change keeps this tab signed in with the new tokens and ends other sign-ins", async () => {
    const { api, user, seen } = renderDemo();
    const secret = await seedFactor(api);
    // Another sign-in with the same password, as a thief would hold.
    const other = await (
      await api.handleRequest(
        new Request(`${ORIGIN}/api/auth/signin`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ username: DEMO_USER.username, password: DEMO_USER.password }),
        }),
      )
    ).json();
    await advance(30_000);
    await signIn(user);
    const { input } = await stepUpDialog();
    await user.type(input, codeNow(secret));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(await screen.findByText("Dana Demo", { selector: "dd" })).toBeTruthy();

    const card = screen.getByRole("region", { name: "Change password" });
    await user.type(within(card).getByLabelText("New password"), "a brand new password");
    await user.type(within(card).getByLabelText("Repeat it"), "a brand new password");
    await user.click(within(card).getByRole("button", { name: "Change password" }));
    // Sensitive: a step-up first (the verification is fresh, so no dialog is needed), then done.
    expect(await within(card).findByText("Password changed.")).toBeTruthy();
    expect(seen.filter((s) => s.path === "/api/password").at(-1)?.status).toBe(200);

    // The other sign-in's access token is void; this tab goes on without signing in again.
    const stolen = await api.handleRequest(
      new Request(`${ORIGIN}/api/profile`, {
        headers: { Authorization: `Bearer ${other.accessToken}` },
      }),
    );
    expect(stolen.status).toBe(401);
    const before = seen.length;
    await user.click(screen.getByRole("button", { name: "Reload profile" }));
    await waitFor(() =>
      expect(seen.slice(before).find((s) => s.path === "/api/profile")?.status).toBe(200),
    );
    expect(seen.slice(before).some((s) => s.path === "/api/auth/refresh")).toBe(false);
  });

  test("three wrong codes lock, and the countdown follows Retry-After", async () => {
    const { api, user, seen } = renderDemo();
    const secret = await seedFactor(api);
    await advance(30_000);
    await signIn(user);
    const { dialog, input } = await stepUpDialog();
    for (const wrong of ["000000", "111111"]) {
      await user.type(input, wrong);
      await within(dialog).findByText(/didn't work/);
      await waitFor(() => expect((input as HTMLInputElement).value).toBe(""));
    }
    await user.type(input, "222222");
    expect(await within(dialog).findByText("Too many attempts.")).toBeTruthy();
    const locked = seen.filter((s) => s.path === "/mfa/verify").at(-1);
    expect(locked?.status).toBe(429);
    const retryAfter = Number(locked!.headers.get("retry-after"));
    expect(retryAfter).toBe(30);
    const timer = within(dialog).getByRole("timer");
    expect(timer.textContent).toBe("0:30");
    await advance(10_000);
    expect(timer.textContent).toBe("0:20");
    await advance(20_000);
    expect(within(dialog).queryByRole("timer")).toBeNull();
    expect(within(dialog).getByText("You can try again now.")).toBeTruthy();
    await user.type(input, codeNow(secret));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());

    // The security-event panel showed the failures and the lock as they happened.
    await api.flushEvents();
    const events = await screen.findByRole("list", { name: "Security events" });
    await waitFor(() => {
      const types = [...events.querySelectorAll("li")].map((li) => li.dataset.type);
      expect(types).toEqual(expect.arrayContaining(["mfa.failed", "mfa.locked", "mfa.verified"]));
    });
  });

  test("a 503 with Retry-After is retried, and a skewed server clock is measured by the client", async () => {
    const { api, user, seen, clients } = renderDemo();
    const secret = await seedFactor(api);
    await advance(30_000);
    await signIn(user);
    const { input } = await stepUpDialog();
    await user.type(input, codeNow(secret));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    await screen.findByText("Dana Demo", { selector: "dd" });

    // Two 503s, then the real answer: the client waits Retry-After each time.
    await user.selectOptions(screen.getByLabelText("Answer"), "503");
    await user.clear(screen.getByLabelText("Calls"));
    await user.type(screen.getByLabelText("Calls"), "2");
    await user.clear(screen.getByLabelText("Retry-After (s)"));
    await user.type(screen.getByLabelText("Retry-After (s)"), "1");
    await user.click(screen.getByRole("button", { name: "Fail the next calls" }));
    await screen.findByText("2 more API call(s) will get 503.");
    await user.click(screen.getByRole("button", { name: "Reload profile" }));
    await advance(1_000);
    await advance(1_000);
    await waitFor(() =>
      expect(
        seen
          .filter((s) => s.path === "/api/profile")
          .map((s) => s.status)
          .slice(-3),
      ).toEqual([503, 503, 200]),
    );
    const activity = screen.getByRole("list", { name: "Client activity" });
    expect(
      within(activity).getByText(
        "Retry 1 of GET /api/profile in 1.0 s (answered 503: unavailable).",
      ),
    ).toBeTruthy();
    expect(
      within(activity).getByText(
        "Retry 2 of GET /api/profile in 1.0 s (answered 503: unavailable).",
      ),
    ).toBeTruthy();

    // The server clock jumps two minutes ahead: the client reads it from the Date header.
    await user.selectOptions(screen.getByLabelText("Skew the server clock"), "2 min ahead");
    await user.click(screen.getByRole("button", { name: "Reload profile" }));
    const session = screen.getByRole("region", { name: "MFA session" });
    // The Date header has whole seconds: the estimate is within a second of the skew.
    expect(
      await within(session).findByText(/server is (1 min 59|2 min [0-9]) s ahead/),
    ).toBeTruthy();
    const offset = clients.mfa.getSnapshot().clockOffsetMs;
    expect(Math.abs(offset - 120_000)).toBeLessThanOrEqual(1_500);
  });
});
