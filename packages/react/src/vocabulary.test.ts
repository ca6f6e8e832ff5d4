import { MfaError, type MfaErrorCode } from "@mfa-kit/client";
import { problem, type VerifyHint } from "@mfa-kit/protocol";
import { MfaProblemTable } from "@mfa-kit/protocol/vocabulary";
import { describe, expect, expectTypeOf, it } from "vitest";
import { defaults, type StepUpMessages } from "./components/StepUpModal";
import { type ErrorWord, errorCode } from "./errorCode";

// Every MfaError code, once: a code the client adds and this list lacks does not build.
const CLIENT_CODES: Record<MfaErrorCode, true> = {
  REFRESH_FAILED: true,
  STEP_UP_REQUIRED: true,
  STEP_UP_CANCELLED: true,
  STEP_UP_FAILED: true,
  INVALID_CODE: true,
  ADDITIONAL_FACTOR_REQUIRED: true,
  LOCKED: true,
  SERVICE_UNAVAILABLE: true,
  DELIVERY_FAILED: true,
  WEBAUTHN_FAILED: true,
  RETRY_EXHAUSTED: true,
  NETWORK: true,
  TIMEOUT: true,
  ABORTED: true,
  HTTP: true,
};

// Every hint of a refused code (`hint` of an `invalid_code` problem), once.
const HINTS: Record<VerifyHint, true> = {
  authenticator_clock_behind: true,
  algorithm_mismatch: true,
};

// A message key written like a code (`NETWORK`) or a problem's name (`code_expired`).
const looksLikeCode = (key: string) => /^[A-Z]+(_[A-Z]+)*$|^[a-z]+(_[a-z]+)+$/.test(key);

describe("the React messages", () => {
  it("are keyed, where keyed by a code, by an MfaError code, a problem of the protocol's table or a hint", () => {
    type CodeKey = Extract<keyof StepUpMessages, Uppercase<string> | `${string}_${string}`>;
    expectTypeOf<CodeKey>().toExtend<ErrorWord | VerifyHint>();
    const keys = Object.keys(defaults).filter(looksLikeCode);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys)
      expect([key, key in CLIENT_CODES || key in MfaProblemTable || key in HINTS]).toEqual([
        key,
        true,
      ]);
  });

  it("name each problem of the table by the table's client code or by the problem itself", () => {
    for (const info of Object.values(MfaProblemTable)) {
      const word = errorCode(new MfaError(info.clientCode, "", { problem: problem(info.name) }));
      expect([info.name, info.clientCode]).toContain(word);
    }
  });
});
