import type { ClipboardEvent, InputHTMLAttributes, Ref } from "react";

/** Props of {@link OneTimeCodeInput}; other input attributes (`id`, `aria-*`, ...) pass through. */
export interface OneTimeCodeInputProps
  extends Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "onChange" | "type"> {
  /** The digits typed so far. */
  value: string;
  /** Called with the digits only (spaces, hyphens and other characters dropped), at most `length`. */
  onChange(value: string): void;
  /** Called once the last digit is in: submit here. */
  onComplete?(code: string): void;
  /** Digits in a code. Defaults to 6. */
  length?: number;
  /** A ref to the `<input>`, to focus it. Defaults to none. */
  inputRef?: Ref<HTMLInputElement>;
}

const digitsOf = (text: string, length: number) => text.replace(/\D/g, "").slice(0, length);

/**
 * One input for a one-time code: the numeric keypad on phones, the code offered by the OS from an
 * SMS (`autocomplete="one-time-code"`), a pasted `123 456` or `123-456` accepted, and `onComplete`
 * called on the last digit.
 */
export function OneTimeCodeInput({
  value,
  onChange,
  onComplete,
  length = 6,
  inputRef,
  className,
  onPaste,
  ...rest
}: OneTimeCodeInputProps) {
  const accept = (text: string) => {
    const digits = digitsOf(text, length);
    if (digits === value) return;
    onChange(digits);
    if (digits.length === length) onComplete?.(digits);
  };
  const paste = (event: ClipboardEvent<HTMLInputElement>) => {
    onPaste?.(event);
    const digits = digitsOf(event.clipboardData.getData("text"), length + 1);
    // A whole code pasted over a partial one replaces it rather than being appended to it.
    if (!event.defaultPrevented && digits.length === length) {
      event.preventDefault();
      accept(digits);
    }
  };
  return (
    <input
      {...rest}
      ref={inputRef}
      className={className ?? "mfa-input mfa-code"}
      type="text"
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern={`[0-9]{${length}}`}
      spellCheck={false}
      value={value}
      onChange={(event) => accept(event.target.value)}
      onPaste={paste}
    />
  );
}
