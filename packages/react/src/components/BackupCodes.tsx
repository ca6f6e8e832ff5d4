import { type ReactNode, useId, useState } from "react";
import { useMfaContext } from "../mfaContext";
import { copyText, downloadText } from "../saveText";

/** The texts of {@link BackupCodes}. */
export interface BackupCodesMessages {
  title: string;
  intro: string;
  copy: string;
  copied: string;
  copyFailed: string;
  download: string;
  acknowledge: string;
  done: string;
  regenerateTitle: string;
  regenerateIntro: string;
  regenerate: string;
  failed: string;
  file: (codes: string[]) => string;
}

const defaults: BackupCodesMessages = {
  title: "Save your backup codes",
  intro:
    "If you lose access to your other factors, each of these codes lets you in once. They are shown only now: copy or download them and keep them somewhere safe.",
  copy: "Copy codes",
  copied: "Codes copied.",
  copyFailed: "Copying failed: select the codes and copy them by hand.",
  download: "Download as text file",
  acknowledge: "I have saved these codes",
  done: "Done",
  regenerateTitle: "Backup codes",
  regenerateIntro: "Get a new set of backup codes. The old ones stop working.",
  regenerate: "Generate new codes",
  failed: "The codes could not be generated. Please try again.",
  file: (codes) => `Backup codes\nEach code can be used once.\n\n${codes.join("\n")}\n`,
};

/** Props of {@link BackupCodes}. */
export interface BackupCodesProps {
  /** Codes to show once (from an activation). Defaults to none: the component offers to regenerate them, behind step-up. */
  codes?: string[] | null;
  /** Called when the user has acknowledged saving the codes and closed them. Defaults to nothing. */
  onDone?(): void;
  /** Name of the downloaded file. Defaults to `"backup-codes.txt"`. */
  filename?: string;
  /** The heading. Defaults to "Save your backup codes". */
  title?: ReactNode;
  /** Overrides some or all texts. Defaults to English. */
  messages?: Partial<BackupCodesMessages>;
  /** Class of the panel. Defaults to `"mfa-panel"`. */
  className?: string;
}

/**
 * Shows backup codes once, with copy and download, and closes only after the user confirms they
 * saved them. Without `codes`, offers to generate a new set (the client asks for step-up first).
 */
export function BackupCodes({
  codes,
  onDone,
  filename = "backup-codes.txt",
  title,
  messages,
  className = "mfa-panel",
}: BackupCodesProps) {
  const { client } = useMfaContext("<BackupCodes>");
  const m = { ...defaults, ...messages };
  const id = useId();
  const [fresh, setFresh] = useState<string[] | null>(null);
  const [closed, setClosed] = useState<string[] | null>(null);
  const [saved, setSaved] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = fresh ?? codes ?? null;

  const regenerate = async () => {
    setBusy(true);
    setStatus(null);
    try {
      setFresh((await client.api.regenerateBackupCodes()).backupCodes);
      setSaved(false);
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== "STEP_UP_CANCELLED") setStatus(m.failed);
    } finally {
      setBusy(false);
    }
  };

  if (!shown || shown === closed) {
    if (codes) return null; // shown once, acknowledged, gone
    return (
      <section className={className} aria-labelledby={`${id}t`}>
        <h2 id={`${id}t`} className="mfa-title">
          {m.regenerateTitle}
        </h2>
        <p className="mfa-muted">{m.regenerateIntro}</p>
        <p role="status">{status}</p>
        <button
          type="button"
          className="mfa-button mfa-primary"
          disabled={busy}
          onClick={regenerate}
        >
          {m.regenerate}
        </button>
      </section>
    );
  }

  const text = m.file(shown);
  return (
    <section className={className} aria-labelledby={`${id}t`}>
      <h2 id={`${id}t`} className="mfa-title">
        {title ?? m.title}
      </h2>
      <p className="mfa-muted">{m.intro}</p>
      <ol className="mfa-codes" aria-label={m.regenerateTitle}>
        {shown.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="mfa-row">
        <button
          type="button"
          className="mfa-button"
          onClick={async () => setStatus((await copyText(text)) ? m.copied : m.copyFailed)}
        >
          {m.copy}
        </button>
        <button type="button" className="mfa-button" onClick={() => downloadText(filename, text)}>
          {m.download}
        </button>
      </div>
      <p role="status">{status}</p>
      <div className="mfa-row">
        <input
          id={`${id}a`}
          type="checkbox"
          checked={saved}
          onChange={(event) => setSaved(event.target.checked)}
        />
        <label htmlFor={`${id}a`}>{m.acknowledge}</label>
      </div>
      <div className="mfa-row">
        <button
          type="button"
          className="mfa-button mfa-primary"
          disabled={!saved}
          onClick={() => {
            setClosed(shown);
            setFresh(null);
            setSaved(false);
            setStatus(null);
            onDone?.();
          }}
        >
          {m.done}
        </button>
      </div>
    </section>
  );
}
