import { useInsertionEffect } from "react";

const ID = "mfa-kit-styles";

// Default look. The stylesheet goes first in <head>, so any rule of the app with the same
// specificity wins. Colours are CSS variables with fallbacks: set `--mfa-accent` on :root or on a
// container to restyle. The fallbacks pass WCAG AA contrast.
const CSS = `.mfa-overlay{position:fixed;inset:0;z-index:1000;display:grid;place-items:center;background:#0009}
.mfa-dialog,.mfa-panel{max-width:400px;padding:24px;color:var(--mfa-fg,#111);background:var(--mfa-bg,#fff);border:1px solid var(--mfa-border,#666);border-radius:var(--mfa-radius,8px)}
.mfa-field{display:grid;gap:4px;margin:16px 0}
.mfa-row{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0}
.mfa-input,.mfa-button{padding:8px;font:inherit;border:1px solid var(--mfa-border,#666);border-radius:4px}
.mfa-code{font-size:1.5em;letter-spacing:.3em}
.mfa-primary{color:var(--mfa-accent-fg,#fff);background:var(--mfa-accent,#1d4ed8)}
.mfa-alert{color:var(--mfa-danger,#b00)}
.mfa-warning{color:var(--mfa-warning,#850)}
.mfa-qr{max-width:100%;height:auto}`;

/**
 * Adds the default stylesheet to the document once, on the client only (SSR-safe). `nonce` is
 * for a Content-Security-Policy that restricts inline styles.
 */
export function useMfaStyles(enabled: boolean, nonce?: string): void {
  useInsertionEffect(() => {
    if (!enabled || document.getElementById(ID)) return;
    const style = document.createElement("style");
    style.id = ID;
    if (nonce) style.nonce = nonce;
    style.textContent = CSS;
    document.head.prepend(style);
  }, [enabled, nonce]);
}
