import type { ActivateFactorResponse } from "@mfa-kit/protocol";
import { type ComponentType, type ReactNode, useEffect, useId, useRef, useState } from "react";
import { useEnrollment } from "../hooks/useEnrollment";
import { BackupCodes, type BackupCodesProps } from "./BackupCodes";
import { button } from "./button";
import type { TotpSetupProps } from "./TotpSetup";

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

/** The texts shown before and after the view of the QR code (`./TotpSetup` holds its own). */
export type FrameMessages = Pick<
  TotpEnrollmentMessages,
  "title" | "start" | "starting" | "failed" | "done"
>;

const defaults: FrameMessages = {
  title: "Set up an authenticator app",
  start: "Set up authenticator app",
  starting: "Preparing…",
  failed: "That didn't work. Try again.",
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
}

type Setup = ComponentType<TotpSetupProps>;
let loaded: Setup | undefined;
let loading: Promise<Setup> | undefined;
/**
 * The QR code, manual key and confirmation (`./TotpSetup`), loaded when an enrollment starts; a
 * failed load is tried again by the next start.
 */
const loadSetup = () =>
  (loading ??= import("./TotpSetup").then(
    (module) => (loaded = module.TotpSetup),
    (cause) => {
      loading = undefined;
      throw cause;
    },
  ));

/**
 * TOTP enrollment, start to finish: the otpauth URI as a QR code, the key grouped in fours with a
 * copy button for manual entry (with a hint after 30 s), confirmation with the first code, then the
 * backup codes once. The view after the start loads with the server's answer (one request each, in
 * parallel), so an app that never enrolls an authenticator does not carry it.
 */
export function TotpEnrollment({
  label,
  autoStart = true,
  onComplete,
  onCancel,
  qrSize,
  scanHintMs,
  codeLength = 6,
  title,
  messages,
  backupCodes,
  className = "mfa-panel",
}: TotpEnrollmentProps) {
  const enrollment = useEnrollment();
  const { step, totp, error } = enrollment;
  const m = { ...defaults, ...messages };
  const id = useId();
  const [Setup, setSetup] = useState(() => loaded);
  const [loadFailed, setLoadFailed] = useState(false);
  const load = () => {
    setLoadFailed(false);
    loadSetup().then(
      (component) => setSetup(() => component),
      () => setLoadFailed(true),
    );
  };
  const start = () => {
    load();
    return enrollment.startTotp({ label });
  };

  // Starts once, on mount (the ref keeps StrictMode's second effect run from enrolling twice);
  // without `autoStart`, the view loads meanwhile, ready for the click.
  const started = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: on mount only
  useEffect(() => {
    if (autoStart && !started.current) void start();
    else load();
    started.current = true;
  }, []);

  if (step === "done" && enrollment.backupCodes?.length) {
    const result = { factor: enrollment.factor!, backupCodes: enrollment.backupCodes };
    return (
      <BackupCodes
        {...backupCodes}
        codes={result.backupCodes}
        onDone={() => onComplete?.(result)}
      />
    );
  }
  // The secret is there but not the view showing it: a failed load, or one still under way.
  const waiting = !!totp && !Setup;
  const failed = (!totp && error) || (waiting && loadFailed);

  return (
    <section className={className} aria-labelledby={id} aria-busy={step === "starting" || waiting}>
      <h2 id={id} className="mfa-title">
        {title ?? m.title}
      </h2>
      {step === "done" ? (
        <p role="status">{m.done}</p>
      ) : totp && Setup ? (
        <Setup
          key={totp.factorId}
          enrollment={{ ...enrollment, totp }}
          messages={m}
          id={id}
          onComplete={onComplete}
          onCancel={onCancel}
          qrSize={qrSize}
          scanHintMs={scanHintMs}
          codeLength={codeLength}
        />
      ) : (
        <>
          {failed && (
            <p className="mfa-alert" role="alert">
              {m.failed}
            </p>
          )}
          {step === "starting" || (waiting && !loadFailed) ? (
            <p role="status">{m.starting}</p>
          ) : (
            button(m.start, start, true)
          )}
        </>
      )}
    </section>
  );
}
