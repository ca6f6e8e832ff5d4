import type { ActivateFactorResponse } from "@mfa-kit/protocol";
import { formatBase32ForDisplay, problemName } from "@mfa-kit/protocol";
import { type ReactNode, useEffect, useId, useState } from "react";
import { type EnrollmentState, useEnrollment } from "../hooks/useEnrollment";
import { copyText } from "../saveText";
import { BackupCodes, type BackupCodesProps } from "./BackupCodes";
import { OneTimeCodeInput } from "./OneTimeCodeInput";
import { QrCode } from "./QrCode";

/** The texts of {@link TotpEnrollment}. */
export interface TotpEnrollmentMessages {
  title: string;
  start: string;
  starting: string;
  scan: string;
  qrLabel: string;
  openApp: string;
  manual: string;
  copyKey: string;
  copied: string;
  copyFailed: string;
  scanHint: string;
  codeLabel: (length: number) => string;
  confirm: string;
  cancel: string;
  wrongCode: string;
  failed: string;
  done: string;
}

const defaults: TotpEnrollmentMessages = {
  title: "Set up an authenticator app",
  start: "Set up authenticator app",
  starting: "Preparing your key…",
  scan: "Scan this QR code with your authenticator app (Google Authenticator, 1Password, Authy…).",
  qrLabel: "QR code to add this account to an authenticator app",
  openApp: "Open in an authenticator app on this device",
  manual: "Can't scan it? Enter this key in the app instead:",
  copyKey: "Copy key",
  copied: "Key copied.",
  copyFailed: "Copying failed: type the key by hand.",
  scanHint:
    "Having trouble scanning? Type the key below into your app, choosing a time-based code.",
  codeLabel: (length) => `Enter the ${length}-digit code the app shows`,
  confirm: "Confirm",
  cancel: "Cancel",
  wrongCode:
    "That code didn't work. Check that your phone's clock is right and try the current code.",
  failed: "Something went wrong. Please try again.",
  done: "Your authenticator app is set up.",
};

/** Props of {@link TotpEnrollment}. */
export interface TotpEnrollmentProps {
  /** Sent to the server as the account name shown in the app. Defaults to the server's choice (the user's id). */
  label?: string;
  /** Starts enrollment on mount; otherwise a button does. Defaults to `true`. */
  autoStart?: boolean;
  /** Called once the factor is active and any backup codes were acknowledged. Defaults to nothing. */
  onComplete?(result: ActivateFactorResponse): void;
  /** Shows a Cancel button that resets and calls this. Defaults to no button. */
  onCancel?(): void;
  /** QR code size in CSS pixels. Defaults to 300. */
  qrSize?: number;
  /** Without a code typed for this long (ms), hint at manual entry. Defaults to 30 000. */
  scanHintMs?: number;
  /** Digits in a code. Defaults to 6. */
  codeLength?: number;
  /** The heading. Defaults to "Set up an authenticator app". */
  title?: ReactNode;
  /** Overrides some or all texts. Defaults to English. */
  messages?: Partial<TotpEnrollmentMessages>;
  /** Props for the backup codes shown after activation. Defaults to none. */
  backupCodes?: Omit<BackupCodesProps, "codes" | "onDone">;
  /** Class of the panel. Defaults to `"mfa-panel"`. */
  className?: string;
  /** Replaces the built-in screens, keeping the enrollment logic. Defaults to the built-in ones. */
  children?: (enrollment: EnrollmentState) => ReactNode;
}

const errorText = (m: TotpEnrollmentMessages, error: Error | null) => {
  if (!error) return null;
  const code = (error as { code?: unknown }).code;
  const problem = problemName((error as { problem?: unknown }).problem);
  return code === "INVALID_CODE" || problem === "invalid_code" ? m.wrongCode : m.failed;
};

/**
 * TOTP enrollment, start to finish: the otpauth URI as a QR code, the key grouped in fours with a
 * copy button for manual entry (with a hint after 30 s), confirmation with the first code, then the
 * backup codes once.
 */
export function TotpEnrollment({
  label,
  autoStart = true,
  onComplete,
  onCancel,
  qrSize = 300,
  scanHintMs = 30_000,
  codeLength = 6,
  title,
  messages,
  backupCodes,
  className = "mfa-panel",
  children,
}: TotpEnrollmentProps) {
  const enrollment = useEnrollment();
  const { step, totp, error, startTotp } = enrollment;
  const m = { ...defaults, ...messages };
  const id = useId();
  const [code, setCode] = useState("");
  const [hint, setHint] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: starts once, on mount
  useEffect(() => {
    if (autoStart) void startTotp(label === undefined ? undefined : { label });
  }, []);

  // No code typed a while after the QR code appeared: the scan probably isn't working.
  const typing = code !== "";
  useEffect(() => {
    setHint(false);
    if (!totp || typing) return;
    const timer = setTimeout(() => setHint(true), scanHintMs);
    return () => clearTimeout(timer);
  }, [totp, typing, scanHintMs]);

  // A rejected code is cleared so the next one can be typed straight away.
  useEffect(() => {
    if (error) setCode("");
  }, [error]);

  if (children) return <>{children(enrollment)}</>;
  const message = errorText(m, error);
  const heading = (
    <h2 id={`${id}t`} className="mfa-title">
      {title ?? m.title}
    </h2>
  );

  if (step === "done") {
    const result = { factor: enrollment.factor!, backupCodes: enrollment.backupCodes ?? undefined };
    return enrollment.backupCodes?.length ? (
      <BackupCodes
        {...backupCodes}
        codes={enrollment.backupCodes}
        onDone={() => onComplete?.(result)}
      />
    ) : (
      <DoneNotice message={m.done} className={className} onShown={() => onComplete?.(result)} />
    );
  }

  if (!totp) {
    return (
      <section className={className} aria-labelledby={`${id}t`} aria-busy={step === "starting"}>
        {heading}
        {message && (
          <p className="mfa-alert" role="alert">
            {message}
          </p>
        )}
        {step === "starting" ? (
          <p role="status">{m.starting}</p>
        ) : (
          <button
            type="button"
            className="mfa-button mfa-primary"
            onClick={() => void startTotp(label === undefined ? undefined : { label })}
          >
            {m.start}
          </button>
        )}
      </section>
    );
  }

  const key = formatBase32ForDisplay(totp.secret);
  const activating = step === "activating";
  return (
    <section className={className} aria-labelledby={`${id}t`}>
      {heading}
      <p>{m.scan}</p>
      <QrCode value={totp.otpauthUri} size={qrSize} label={m.qrLabel} />
      <p>
        <a className="mfa-link" href={totp.otpauthUri}>
          {m.openApp}
        </a>
      </p>
      <p role="status" className={hint ? "mfa-warning" : undefined}>
        {hint ? m.scanHint : null}
      </p>
      <p>{m.manual}</p>
      <div className="mfa-row">
        <code className="mfa-key">{key}</code>
        <button
          type="button"
          className="mfa-button"
          onClick={async () => setCopied((await copyText(totp.secret)) ? m.copied : m.copyFailed)}
        >
          {m.copyKey}
        </button>
        <span role="status">{copied}</span>
      </div>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void enrollment.confirm(code);
        }}
        noValidate
      >
        <div className="mfa-field">
          <label htmlFor={`${id}c`}>{m.codeLabel(codeLength)}</label>
          <OneTimeCodeInput
            id={`${id}c`}
            length={codeLength}
            value={code}
            readOnly={activating}
            onChange={setCode}
            onComplete={(complete) => void enrollment.confirm(complete)}
            aria-describedby={message ? `${id}e` : undefined}
          />
        </div>
        {message && (
          <p id={`${id}e`} className="mfa-alert" role="alert">
            {message}
          </p>
        )}
        <div className="mfa-row">
          <button type="submit" className="mfa-button mfa-primary" disabled={activating}>
            {m.confirm}
          </button>
          {onCancel && (
            <button
              type="button"
              className="mfa-button"
              onClick={() => {
                enrollment.reset();
                onCancel();
              }}
            >
              {m.cancel}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

function DoneNotice({
  message,
  className,
  onShown,
}: {
  message: string;
  className: string;
  onShown(): void;
}) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: reports completion once
  useEffect(onShown, []);
  return (
    <section className={className}>
      <p role="status">{message}</p>
    </section>
  );
}
