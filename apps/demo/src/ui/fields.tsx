import { type InputHTMLAttributes, useId } from "react";

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "onChange" | "value">;

/** A labelled input of the demo's forms; `onValue` gets the text typed. */
export function TextField({
  label,
  value,
  onValue,
  ...input
}: InputProps & { label: string; value: string | number; onValue(value: string): void }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} onChange={(e) => onValue(e.target.value)} {...input} />
    </div>
  );
}

/** What a form's last submission came to, announced politely to screen readers. */
export function FormResult({ result }: { result: { ok: boolean; text: string } | null }) {
  return (
    <div role="status" aria-live="polite">
      {result && <p className={result.ok ? "success" : "alert"}>{result.text}</p>}
    </div>
  );
}
