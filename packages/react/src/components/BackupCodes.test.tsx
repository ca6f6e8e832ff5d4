import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startMswServer } from "../test/msw";
import { renderWithMfa } from "../test/render";
import { BackupCodes } from "./BackupCodes";
import { StepUpModal } from "./StepUpModal";

const server = startMswServer();
const codes = ["aaaa-1111", "bbbb-2222", "cccc-3333"];

afterEach(() => {
  vi.restoreAllMocks();
});

describe("BackupCodes", () => {
  it("copies all codes, one a line", async () => {
    const { user } = renderWithMfa(<BackupCodes codes={codes} />, server);
    await user.click(screen.getByRole("button", { name: "Copy codes" }));
    const copied = await navigator.clipboard.readText();
    expect(copied.split("\n")).toEqual(expect.arrayContaining(codes));
    expect(screen.getByText("Copied.")).toBeVisible();
  });

  it("downloads the codes as a text file", async () => {
    const blobs: Blob[] = [];
    URL.createObjectURL = vi.fn((blob: Blob) => {
      blobs.push(blob);
      return "blob:codes";
    });
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      expect(this.download).toBe("my-codes.txt");
      expect(this.href).toBe("blob:codes");
    });
    const { user } = renderWithMfa(<BackupCodes codes={codes} filename="my-codes.txt" />, server);
    await user.click(screen.getByRole("button", { name: "Download as text file" }));
    expect(click).toHaveBeenCalledOnce();
    expect(blobs[0]?.type).toBe("text/plain;charset=utf-8");
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(blobs[0]!);
    });
    for (const code of codes) expect(text).toContain(`\n${code}`);
    await waitFor(() => expect(URL.revokeObjectURL).toHaveBeenCalledWith("blob:codes"));
  });

  it("closes only after the user confirms saving them, and never shows them again", async () => {
    const onDone = vi.fn();
    const { user, rerender } = renderWithMfa(<BackupCodes codes={codes} onDone={onDone} />, server);
    const done = screen.getByRole("button", { name: "Done" });
    expect(done).toBeDisabled();
    await user.click(done);
    expect(onDone).not.toHaveBeenCalled();

    await user.click(screen.getByRole("checkbox", { name: "I have saved these codes" }));
    await user.click(done);
    expect(onDone).toHaveBeenCalledOnce();
    expect(screen.queryByText(codes[0]!)).toBeNull();
    rerender(<BackupCodes codes={codes} onDone={onDone} />);
    expect(screen.queryByText(codes[0]!)).toBeNull();
  });

  it("regenerates the codes behind step-up", async () => {
    const { user, api } = renderWithMfa(
      <>
        <BackupCodes />
        <StepUpModal />
      </>,
      server,
    );
    await user.click(screen.getByRole("button", { name: "Generate new codes" }));
    const dialog = await screen.findByRole("dialog");
    await waitFor(() => expect(dialog).toHaveAttribute("aria-busy", "false"));
    await user.type(within(dialog).getByLabelText("Verification code"), "123456");

    const list = await screen.findByRole("list", { name: "Backup codes" });
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["new1-new1", "new2-new2", "new3-new3"]);
    expect(api.calls.regenerateBackupCodes).toBe(2); // refused without step-up, then accepted
    expect(screen.queryByRole("dialog")).toBeNull();

    await user.click(screen.getByRole("checkbox", { name: "I have saved these codes" }));
    await user.click(screen.getByRole("button", { name: "Done" }));
    expect(screen.getByRole("button", { name: "Generate new codes" })).toBeVisible();
  });

  it("stays quiet when the user cancels the step-up", async () => {
    const { user } = renderWithMfa(
      <>
        <BackupCodes />
        <StepUpModal />
      </>,
      server,
    );
    await user.click(screen.getByRole("button", { name: "Generate new codes" }));
    const dialog = await screen.findByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    await waitFor(() =>
      expect(screen.getByRole("button", { name: "Generate new codes" })).toBeEnabled(),
    );
    expect(screen.getByRole("status")).toBeEmptyDOMElement();
  });
});
