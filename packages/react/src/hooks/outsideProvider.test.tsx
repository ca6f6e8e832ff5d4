import { render, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BackupCodes } from "../components/BackupCodes";
import { StepUpModal } from "../components/StepUpModal";
import { TotpEnrollment } from "../components/TotpEnrollment";
import { useEnrollment } from "./useEnrollment";
import { useFactors } from "./useFactors";
import { useMfa } from "./useMfa";
import { useStepUp } from "./useStepUp";

beforeEach(() => {
  // React reports the thrown error to the console as well; the assertion is on the error itself.
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("outside <MfaProvider>", () => {
  it.each([
    ["useMfa()", useMfa],
    ["useStepUp()", useStepUp],
    ["useEnrollment()", useEnrollment],
    ["useFactors()", useFactors],
  ])("%s throws an error that says how to fix it", (name, hook) => {
    expect(() => renderHook(() => hook())).toThrow(
      `${name} must be used inside <MfaProvider client={mfa}>: wrap your app in it, passing the client from createMfaClient().`,
    );
  });

  it.each([
    ["<StepUpModal />", () => <StepUpModal />, "useStepUp()"],
    ["<TotpEnrollment />", () => <TotpEnrollment />, "useEnrollment()"],
    ["<BackupCodes />", () => <BackupCodes />, "<BackupCodes>"],
  ])("%s throws the same plain-English error", (_, ui, name) => {
    expect(() => render(ui())).toThrow(`${name} must be used inside <MfaProvider`);
  });
});
