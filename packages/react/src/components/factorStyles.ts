import { useEffect } from "react";

const ID = "mfa-kit-factor-styles";

// The factor components' additions to the default look (same CSS variables as the modal).
const CSS = `.mfa-factors{margin:0;padding:0;list-style:none}
.mfa-factor{padding:12px 0;border-bottom:1px solid var(--mfa-border,#666)}
.mfa-muted{color:var(--mfa-muted,#555)}
.mfa-danger{color:var(--mfa-danger-fg,#fff);background:var(--mfa-danger,#b00)}
.mfa-panel fieldset{margin:0;border:0;padding:0}
.mfa-confirm legend{padding:0}
.mfa-button[aria-disabled=true]{opacity:.6;cursor:not-allowed}`;

/**
 * Adds the factor components' rules next to the provider's default stylesheet, only when the
 * provider added that one (`injectStyles`, the default): an app that styles everything itself
 * gets neither.
 */
export function useFactorStyles(): void {
  useEffect(() => {
    const main = document.getElementById("mfa-kit-styles");
    if (!main || document.getElementById(ID)) return;
    const style = document.createElement("style");
    style.id = ID;
    if (main.nonce) style.nonce = main.nonce;
    style.textContent = CSS;
    main.after(style);
  }, []);
}
