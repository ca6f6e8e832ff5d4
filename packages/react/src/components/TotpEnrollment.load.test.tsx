import { screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { startMswServer } from "../test/msw";
import { renderWithMfa } from "../test/render";
import { TotpEnrollment } from "./TotpEnrollment";

// The view after the start (`./TotpSetup`) is `import()`ed by the start. Here its first load fails,
// as a chunk does when the network drops or a deploy removed it; the loads after it succeed.
const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock("./TotpSetup", async (importOriginal) => {
  loads.count++;
  if (loads.count === 1) throw new TypeError("Failed to fetch dynamically imported module");
  return importOriginal();
});

const server = startMswServer();

describe("TotpEnrollment, when its view cannot load", () => {
  it("says so and offers the start again, which loads the view and shows the QR code", async () => {
    const { user, api } = renderWithMfa(<TotpEnrollment />, server, { factors: [] });
    // The secret arrived, the view did not: an alert and the start button, no QR code.
    expect(await screen.findByRole("alert")).toHaveTextContent("That didn't work. Try again.");
    expect(api.calls.enrollTotp).toBe(1);
    expect(screen.queryByRole("img", { name: /QR code/ })).toBeNull();

    await user.click(screen.getByRole("button", { name: "Set up authenticator app" }));
    expect(await screen.findByRole("img", { name: /QR code/ })).toBeVisible();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(api.calls.enrollTotp).toBe(2);
    expect(loads.count).toBe(2);
  });
});
