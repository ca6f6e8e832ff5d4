import { useInsertionEffect } from "react";

const ID = "mfa-kit-styles";

// Default look. Every rule sits inside :where() so any class of the app wins, and every colour is a
// CSS variable with a fallback, so setting `--mfa-accent` on :root (or a container) restyles it.
// The fallbacks pass WCAG AA contrast (4.5:1) on the default background.
const CSS = `:where(.mfa-overlay){position:fixed;inset:0;z-index:var(--mfa-z,1000);display:grid;place-items:center;padding:16px;background:var(--mfa-backdrop,rgba(17,24,39,.6))}
:where(.mfa-dialog,.mfa-panel){box-sizing:border-box;font-family:var(--mfa-font,system-ui,sans-serif);color:var(--mfa-fg,#111827);background:var(--mfa-bg,#fff);border-radius:var(--mfa-radius,10px);line-height:1.5}
:where(.mfa-dialog){width:100%;max-width:var(--mfa-width,420px);padding:24px;box-shadow:0 20px 50px rgba(0,0,0,.3)}
:where(.mfa-panel){max-width:560px;padding:20px;border:1px solid var(--mfa-border,#d1d5db)}
:where(.mfa-title){margin:0 0 8px;font-size:1.25rem}
:where(.mfa-muted){color:var(--mfa-muted,#4b5563)}
:where(.mfa-field){display:grid;gap:6px;margin:16px 0}
:where(.mfa-input){box-sizing:border-box;width:100%;padding:10px 12px;font:inherit;color:inherit;background:var(--mfa-input-bg,#fff);border:1px solid var(--mfa-border,#6b7280);border-radius:calc(var(--mfa-radius,10px) - 4px)}
:where(.mfa-code){font-size:1.5rem;letter-spacing:.3em;font-variant-numeric:tabular-nums;text-align:center}
:where(.mfa-row){display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-top:16px}
:where(.mfa-button){padding:8px 14px;font:inherit;border-radius:calc(var(--mfa-radius,10px) - 4px);border:1px solid var(--mfa-border,#6b7280);background:var(--mfa-bg,#fff);color:var(--mfa-fg,#111827);cursor:pointer}
:where(.mfa-primary){background:var(--mfa-accent,#1d4ed8);border-color:var(--mfa-accent,#1d4ed8);color:var(--mfa-accent-fg,#fff)}
:where(.mfa-link){padding:0;border:0;background:none;font:inherit;color:var(--mfa-link,#1d4ed8);text-decoration:underline;cursor:pointer}
:where(.mfa-button,.mfa-link):disabled{opacity:.6;cursor:not-allowed}
:where(.mfa-dialog,.mfa-panel) :focus-visible{outline:3px solid var(--mfa-focus,#2563eb);outline-offset:2px}
:where(.mfa-alert){margin:12px 0;padding:8px 12px;border-radius:6px;color:var(--mfa-danger,#991b1b);background:var(--mfa-danger-bg,#fef2f2)}
:where(.mfa-warning){margin:12px 0;padding:8px 12px;border-radius:6px;color:var(--mfa-warning,#78350f);background:var(--mfa-warning-bg,#fffbeb)}
:where(.mfa-qr){display:block;max-width:100%;height:auto;background:var(--mfa-qr-light,#fff)}
:where(.mfa-key){font-family:ui-monospace,monospace;font-size:1.1rem;word-spacing:.2em}
:where(.mfa-codes){display:grid;grid-template-columns:repeat(2,1fr);gap:4px 24px;padding-left:24px;font-family:ui-monospace,monospace}`;

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
    document.head.appendChild(style);
  }, [enabled, nonce]);
}
