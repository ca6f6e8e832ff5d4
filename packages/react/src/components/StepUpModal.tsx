import type { MfaError } from "@mfa-kit/client";
import type { FactorSummary } from "@mfa-kit/protocol";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { errorCode } from "../errorCode";
import { formatCountdown, formatOffset } from "../format";
import { useModalFocus } from "../hooks/useModalFocus";
import { type StepUpState, useStepUp } from "../hooks/useStepUp";
import { button } from "./button";
import { OneTimeCodeInput } from "./OneTimeCodeInput";

/** The texts of {@link StepUpModal}, for translation or tone. */
export interface StepUpMessages {
  title: string;
  totp: string;
  sent: (to: string) => string;
  willSend: (to: string) => string;
  send: string;
  resend: string;
  backupIntro: string;
  keyOnly: string;
  codeLabel: string;
  backupLabel: string;
  factorLabel: string;
  factorName: (factor: FactorSummary) => string;
  verify: string;
  cancel: string;
  useKey: string;
  useBackup: string;
  useCode: string;
  wrongCode: (attemptsLeft: number | null) => string;
  code_expired: string;
  code_reused: string;
  NETWORK: string;
  /** An outage or a fault on the server (never shown as a lock). */
  SERVICE_UNAVAILABLE: string;
  /** The SMS / e-mail code could not be sent. */
  DELIVERY_FAILED: string;
  WEBAUTHN_FAILED: string;
  failed: string;
  locked: string;
  retryIn: string;
  retryNow: string;
  /**
   * The server's clock and this device's differ by `offset`; `side` is the one the server says is
   * off, when its problem names it (`clockSide`). `fast`: the device is ahead of the server.
   */
  skew: (offset: string, fast: boolean, side?: "server" | "client") => string;
  /** After a wrong code that is one of a past step: the authenticator's clock is `offset` behind. */
  authenticator_clock_behind: (offset: string) => string;
  /** After a wrong code that is right under other settings (algorithm, digits). */
  algorithm_mismatch: string;
}

export const defaults: StepUpMessages = {
  title: "Confirm it's you",
  totp: "Enter the code from your authenticator app.",
  sent: (to) => `Enter the code sent to ${to}.`,
  willSend: (to) => `We'll send a code to ${to}.`,
  send: "Send code",
  resend: "Send a new code",
  backupIntro: "Enter one of your backup codes.",
  keyOnly: "Use your security key to continue.",
  codeLabel: "Verification code",
  backupLabel: "Backup code",
  factorLabel: "Verify with",
  factorName: (f) => f.label ?? f.hint ?? "Authenticator app",
  verify: "Verify",
  cancel: "Cancel",
  useKey: "Use security key",
  useBackup: "Use a backup code",
  useCode: "Use a verification code",
  wrongCode: (left) =>
    `That code didn't work.${left === null ? "" : ` ${left} attempt${left === 1 ? "" : "s"} left.`}`,
  code_expired: "That code has expired. Get a new one.",
  code_reused: "That code was already used. Wait for the next one.",
  NETWORK: "Can't reach the server. Try again.",
  SERVICE_UNAVAILABLE: "Something went wrong. Try again.",
  DELIVERY_FAILED: "Something went wrong. Try again.",
  WEBAUTHN_FAILED: "Your security key couldn't be used.",
  failed: "That didn't work. Try again.",
  locked: "Too many attempts.",
  retryIn: "Try again in",
  retryNow: "You can try again now.",
  skew: (offset, _fast, side) =>
    side === "server"
      ? `The server's clock is off by ${offset}: codes may fail until it is fixed.`
      : side
        ? `This device's clock is off by ${offset}: turn on automatic time.`
        : `This device's clock and the server's differ by ${offset}.`,
  authenticator_clock_behind: (offset) =>
    `The clock on your authenticator seems about ${offset} behind: turn on automatic time.`,
  algorithm_mismatch:
    "Your authenticator seems set up with different settings (algorithm or digits): remove the entry and scan the QR code again.",
};

/** A problem may say which clock is off. */
type ClockSide = { clockSide?: "server" | "client" } | null | undefined;

/** Props of {@link StepUpModal}. */
export interface StepUpModalProps {
  /** The dialog's heading. Defaults to "Confirm it's you". */
  title?: ReactNode;
  /** Text under the heading. Defaults to a sentence for the chosen way of verifying. */
  description?: ReactNode;
  /** A slot above the heading (a logo, an illustration). Defaults to nothing. */
  header?: ReactNode;
  /** A slot below the actions (a help link). Defaults to nothing. */
  footer?: ReactNode;
  /** Replaces the default body (inputs and buttons) while keeping the dialog, its focus handling and labels. Defaults to the built-in body. */
  children?: (stepUp: StepUpState) => ReactNode;
  /** Overrides some or all texts. Defaults to English. */
  messages?: Partial<StepUpMessages>;
  /** Digits in a one-time code. Defaults to 6. */
  codeLength?: number;
  /** A clock offset from the server at least this large (ms) shows a warning. Defaults to 30 000. */
  skewWarningMs?: number;
  /** Class of the dialog box. Defaults to `"mfa-dialog"`. */
  className?: string;
  /** Class of the backdrop. Defaults to `"mfa-overlay"`. */
  overlayClassName?: string;
  /** Where the dialog is rendered. Defaults to `document.body`. */
  container?: Element;
}

/**
 * The drop-in step-up prompt: opens by itself when a call through the client needs step-up (one
 * dialog for all concurrent calls), and closes when they go through or the user cancels.
 */
export function StepUpModal(props: StepUpModalProps) {
  const stepUp = useStepUp();
  if (!stepUp.challenge || typeof document === "undefined") return null;
  return createPortal(
    <StepUpDialog key={stepUp.challenge.id} {...props} stepUp={stepUp} />,
    props.container ?? document.body,
  );
}

function StepUpDialog({
  stepUp,
  title,
  description,
  header,
  footer,
  children,
  messages,
  codeLength = 6,
  skewWarningMs = 30_000,
  className = "mfa-dialog",
  overlayClassName = "mfa-overlay",
}: StepUpModalProps & { stepUp: StepUpState }) {
  const m = { ...defaults, ...messages };
  const id = useId();
  const dialog = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const send = useRef<HTMLButtonElement>(null);
  const [code, setCode] = useState("");
  // The backup code typed so far; `null` while answering with a one-time code.
  const [backup, setBackup] = useState<string | null>(null);
  const { challenge, factor, locked, busy, error, cancel, useWebAuthn: withKey } = stepUp;
  const attempt = challenge?.attempt;
  const contact = factor?.type === "sms" || factor?.type === "email";
  const needsSend = contact && !stepUp.sentCode && backup === null;
  const codeFactors = stepUp.factors.filter((f) => f.type !== "webauthn");
  const showForm = backup !== null || codeFactors.length > 0 || !stepUp.webauthn;
  const waiting = busy || locked;
  // Suspended code factors (a lock without a countdown) still take a backup code: no lock shown.
  let why = errorCode(error);
  if (backup !== null && !locked && why === "LOCKED") why = undefined;
  const skew = stepUp.clockOffsetMs;
  // Why a wrong code was probably wrong, when the server could tell (the client's MfaError).
  const { hint, behindS = 0, clockSide } = (error ?? {}) as MfaError;
  const hintSentence =
    hint === "algorithm_mismatch"
      ? ` ${m.algorithm_mismatch}`
      : hint === "authenticator_clock_behind"
        ? ` ${m.authenticator_clock_behind(formatOffset(behindS * 1000))}`
        : "";
  useModalFocus(dialog, cancel);

  // Opening, a failed answer, the end of a lock, a code sent, a switch of input: start over there.
  // During a lock too: the field stays read-only, and a switch of input must not leave focus behind.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs at those moments only
  useEffect(() => {
    setCode("");
    setBackup((value) => value && "");
    (needsSend ? send : input).current?.focus();
  }, [attempt, locked, needsSend, backup === null]);

  return (
    <div className={overlayClassName}>
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}t`}
        aria-describedby={`${id}d`}
        aria-busy={busy}
        tabIndex={-1}
        className={className}
      >
        {header}
        <h2 id={`${id}t`} className="mfa-title">
          {title ?? m.title}
        </h2>
        <p id={`${id}d`} className="mfa-muted">
          {description ??
            (backup !== null
              ? m.backupIntro
              : !showForm
                ? m.keyOnly
                : contact
                  ? (needsSend ? m.willSend : m.sent)(factor.hint ?? m.factorName(factor))
                  : m.totp)}
        </p>
        {Math.abs(skew) >= skewWarningMs && (
          <p className="mfa-warning">
            {m.skew(
              formatOffset(skew),
              skew < 0,
              // A failed answer's problem speaks last; else the challenge's.
              clockSide ?? (challenge?.problem as ClockSide)?.clockSide,
            )}
          </p>
        )}
        <div aria-live="assertive">
          {why === "LOCKED" || locked ? (
            <p className={locked ? "mfa-alert" : "mfa-muted"}>{locked ? m.locked : m.retryNow}</p>
          ) : (
            why && (
              <p className="mfa-alert">
                {why === "INVALID_CODE"
                  ? m.wrongCode(stepUp.attemptsLeft) + hintSentence
                  : why === "TIMEOUT"
                    ? m.NETWORK
                    : ((m as unknown as Record<string, string>)[why] ?? m.failed)}
              </p>
            )
          )}
        </div>
        {locked && (
          <p>
            {m.retryIn} <span role="timer">{formatCountdown(stepUp.retryAfterMs ?? 0)}</span>
          </p>
        )}
        {children ? (
          children(stepUp)
        ) : (
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              if (backup !== null) stepUp.submitBackupCode(backup);
              else stepUp.submitCode(code);
            }}
          >
            {showForm && backup === null && codeFactors.length > 1 && (
              <div className="mfa-field">
                <label htmlFor={`${id}f`}>{m.factorLabel}</label>
                <select
                  id={`${id}f`}
                  className="mfa-input"
                  value={factor?.id}
                  onChange={(event) => stepUp.selectFactor(event.target.value)}
                >
                  {codeFactors.map((f) => (
                    <option key={f.id} value={f.id}>
                      {m.factorName(f)}
                    </option>
                  ))}
                </select>
              </div>
            )}
            {contact && backup === null && (
              <button
                ref={send}
                type="button"
                className={needsSend ? "mfa-button mfa-primary" : "mfa-link"}
                disabled={waiting}
                onClick={stepUp.sendCode}
              >
                {needsSend ? m.send : m.resend}
              </button>
            )}
            {showForm && (
              <div className="mfa-field">
                <label htmlFor={`${id}c`}>{backup === null ? m.codeLabel : m.backupLabel}</label>
                {backup === null ? (
                  <OneTimeCodeInput
                    id={`${id}c`}
                    inputRef={input}
                    length={codeLength}
                    readOnly={waiting}
                    value={code}
                    onChange={setCode}
                    onComplete={stepUp.submitCode}
                  />
                ) : (
                  <input
                    id={`${id}c`}
                    ref={input}
                    className="mfa-input"
                    autoComplete="off"
                    spellCheck={false}
                    readOnly={waiting}
                    value={backup}
                    onChange={(event) => setBackup(event.target.value)}
                  />
                )}
              </div>
            )}
            <div className="mfa-row">
              {showForm && button(m.verify, undefined, true, waiting)}
              {stepUp.webauthn && button(m.useKey, () => void withKey(), !showForm, waiting)}
              {button(m.cancel, cancel)}
            </div>
            {stepUp.backupCodes && (
              <button
                type="button"
                className="mfa-link"
                onClick={() => setBackup(backup === null ? "" : null)}
              >
                {backup === null ? m.useBackup : m.useCode}
              </button>
            )}
          </form>
        )}
        {footer}
      </div>
    </div>
  );
}
