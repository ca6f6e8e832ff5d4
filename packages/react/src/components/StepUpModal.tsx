import type { FactorSummary } from "@mfa-kit/protocol";
import { problemName } from "@mfa-kit/protocol";
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { formatCountdown, formatOffset } from "../format";
import { useModalFocus } from "../hooks/useModalFocus";
import { type StepUpState, useStepUp } from "../hooks/useStepUp";
import { OneTimeCodeInput } from "./OneTimeCodeInput";

/** The texts of {@link StepUpModal}, for translation or tone. */
export interface StepUpMessages {
  title: string;
  totp: string;
  sent: (hint: string) => string;
  willSend: (hint: string) => string;
  send: (hint: string) => string;
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
  or: string;
  wrongCode: (attemptsLeft: number | null) => string;
  expired: string;
  reused: string;
  network: string;
  keyFailed: string;
  failed: string;
  locked: string;
  retryIn: string;
  retryNow: string;
  skew: (offset: string, fast: boolean) => string;
}

const defaults: StepUpMessages = {
  title: "Confirm it's you",
  totp: "Enter the code from your authenticator app.",
  sent: (hint) => `Enter the code we sent to ${hint}.`,
  willSend: (hint) => `We'll send a code to ${hint}.`,
  send: (hint) => `Send a code to ${hint}`,
  resend: "Send a new code",
  backupIntro: "Enter one of your backup codes. Each code works once.",
  keyOnly: "Use your security key to continue.",
  codeLabel: "Verification code",
  backupLabel: "Backup code",
  factorLabel: "Verify with",
  factorName: (f) =>
    f.label ??
    (f.type === "sms"
      ? `Text message to ${f.hint ?? "your phone"}`
      : f.type === "email"
        ? `E-mail to ${f.hint ?? "your address"}`
        : "Authenticator app"),
  verify: "Verify",
  cancel: "Cancel",
  useKey: "Use security key",
  useBackup: "Use a backup code",
  useCode: "Use a verification code",
  or: "or",
  wrongCode: (left) =>
    `That code didn't work.${left === null ? "" : ` ${left} ${left === 1 ? "attempt" : "attempts"} left.`}`,
  expired: "That code has expired. Get a new one and try again.",
  reused: "That code was already used. Wait for the next one.",
  network: "We couldn't reach the server. Check your connection and try again.",
  keyFailed: "Your security key couldn't be used. Try again or choose another way.",
  failed: "Verification failed. Please try again.",
  locked: "Too many attempts.",
  retryIn: "Try again in",
  retryNow: "You can try again now.",
  skew: (offset, fast) =>
    `Your device clock is ${offset} ${fast ? "fast" : "slow"}. If codes keep failing, set it to update automatically.`,
};

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

function errorText(
  m: StepUpMessages,
  error: Error | null,
  attemptsLeft: number | null,
): string | null {
  if (!error) return null;
  const code = (error as { code?: unknown }).code;
  const problem = problemName((error as { problem?: unknown }).problem);
  if (code === "LOCKED" || problem === "locked") return null; // the lock has its own message
  if (code === "INVALID_CODE" || problem === "invalid_code") return m.wrongCode(attemptsLeft);
  if (problem === "code_expired") return m.expired;
  if (problem === "code_reused") return m.reused;
  if (code === "NETWORK" || code === "TIMEOUT") return m.network;
  if (code === "WEBAUTHN_FAILED") return m.keyFailed;
  return m.failed;
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
  const [backup, setBackup] = useState<string | null>(null);
  const { challenge, factor, locked, busy, retryAfterMs, error, useWebAuthn: withKey } = stepUp;
  const attempt = challenge?.attempt ?? 1;
  const isContact = factor?.type === "sms" || factor?.type === "email";
  const needsSend = isContact && !stepUp.sentCode;
  useModalFocus(dialog, stepUp.cancel);

  // On opening, after a failed answer and when a lock ends: start over in the input.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on those three moments only
  useEffect(() => {
    if (locked) return;
    setCode("");
    setBackup((value) => (value === null ? null : ""));
    (needsSend ? send : input).current?.focus();
  }, [attempt, locked]);
  // Where the code went, once sent, and the other input when switching to backup codes.
  const backupMode = backup !== null;
  useEffect(() => {
    if (backupMode || !needsSend) input.current?.focus();
  }, [needsSend, backupMode]);
  const codeFactors = stepUp.factors.filter((f) => f.type !== "webauthn");
  const keyOnly = codeFactors.length === 0 && stepUp.webauthn;
  const mode = backup !== null ? "backup" : keyOnly ? "key" : "code";
  const message = errorText(m, error, stepUp.attemptsLeft);
  const lockError = (error as { code?: unknown } | null)?.code === "LOCKED";
  const skew = stepUp.clockOffsetMs;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (backup !== null) stepUp.submitBackupCode(backup);
    else stepUp.submitCode(code);
  };
  const lede =
    description ??
    (mode === "backup"
      ? m.backupIntro
      : mode === "key"
        ? m.keyOnly
        : isContact
          ? (needsSend ? m.willSend : m.sent)(factor.hint ?? m.factorName(factor))
          : m.totp);

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
          {lede}
        </p>
        {Math.abs(skew) >= skewWarningMs && (
          <p className="mfa-warning">{m.skew(formatOffset(skew), skew < 0)}</p>
        )}
        <div aria-live="assertive" aria-atomic="true">
          {message && <p className="mfa-alert">{message}</p>}
          {(locked || lockError) && (
            <p className={locked ? "mfa-alert" : "mfa-muted"}>{locked ? m.locked : m.retryNow}</p>
          )}
        </div>
        {locked && retryAfterMs !== null && (
          <p>
            {m.retryIn} <span role="timer">{formatCountdown(retryAfterMs)}</span>
          </p>
        )}
        {children ? (
          children(stepUp)
        ) : (
          <>
            {mode !== "key" && (
              <form onSubmit={submit} noValidate>
                {mode === "code" && codeFactors.length > 1 && (
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
                {mode === "code" && isContact && (
                  <div className="mfa-row">
                    <button
                      ref={send}
                      type="button"
                      className={needsSend ? "mfa-button mfa-primary" : "mfa-link"}
                      disabled={busy || locked}
                      onClick={stepUp.sendCode}
                    >
                      {needsSend ? m.send(factor.hint ?? m.factorName(factor)) : m.resend}
                    </button>
                  </div>
                )}
                <div className="mfa-field">
                  <label htmlFor={`${id}c`}>
                    {mode === "backup" ? m.backupLabel : m.codeLabel}
                  </label>
                  {backup !== null ? (
                    <input
                      id={`${id}c`}
                      ref={input}
                      className="mfa-input"
                      autoComplete="off"
                      autoCapitalize="none"
                      spellCheck={false}
                      readOnly={busy || locked}
                      value={backup}
                      onChange={(event) => setBackup(event.target.value)}
                    />
                  ) : (
                    <OneTimeCodeInput
                      id={`${id}c`}
                      inputRef={input}
                      length={codeLength}
                      readOnly={busy || locked}
                      value={code}
                      onChange={setCode}
                      onComplete={stepUp.submitCode}
                    />
                  )}
                </div>
                <div className="mfa-row">
                  <button
                    type="submit"
                    className="mfa-button mfa-primary"
                    disabled={busy || locked}
                  >
                    {m.verify}
                  </button>
                  <button type="button" className="mfa-button" onClick={stepUp.cancel}>
                    {m.cancel}
                  </button>
                </div>
              </form>
            )}
            {(stepUp.webauthn || stepUp.backupCodes) && (
              <div className="mfa-row">
                {mode !== "key" && <span className="mfa-muted">{m.or}</span>}
                {stepUp.webauthn && (
                  <button
                    type="button"
                    className={mode === "key" ? "mfa-button mfa-primary" : "mfa-button"}
                    disabled={busy || locked}
                    onClick={() => void withKey()}
                  >
                    {m.useKey}
                  </button>
                )}
                {stepUp.backupCodes && (
                  <button
                    type="button"
                    className="mfa-link"
                    onClick={() => setBackup(backup === null ? "" : null)}
                  >
                    {backup === null ? m.useBackup : m.useCode}
                  </button>
                )}
                {mode === "key" && (
                  <button type="button" className="mfa-button" onClick={stepUp.cancel}>
                    {m.cancel}
                  </button>
                )}
              </div>
            )}
          </>
        )}
        {footer}
      </div>
    </div>
  );
}
