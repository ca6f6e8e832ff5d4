import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

/** A small HTML page of the provider (no scripts: the forms post back). */
export function page(
  res: ServerResponse,
  title: string,
  body: string,
  status = 200,
  nonce?: string,
) {
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": `default-src 'none'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self' http: https:${nonce ? `; script-src 'nonce-${nonce}'` : ""}`,
  });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px system-ui;max-width:28rem;margin:3rem auto}label{display:block;margin:.75rem 0}input{display:block;width:100%;padding:.4rem}button{padding:.5rem 1rem}</style>
</head><body><h1>${title}</h1>${body}</body></html>`);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The provider's error page (an OAuth error the browser landed on). */
export const errorPage = (error: string, description: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><h1>Sign-in error</h1><p><code>${escapeHtml(error)}</code> ${escapeHtml(description)}</p></body></html>`;

/** A nonce for the one script of a page. */
export const randomNonce = () => randomBytes(16).toString("base64");

/**
 * The WebAuthn ceremony of the button `#key`: fetches the options, runs `navigator.credentials`
 * (`create` to register a key, `get` to use one), and posts the response to the interaction.
 */
export const ceremony = (
  nonce: string,
  uid: string,
  kind: "create" | "get",
) => `<script nonce="${nonce}">
document.getElementById("key").addEventListener("click", async () => {
  const answer = await fetch("/interaction/${uid}/key-options", { method: "POST" }).then((r) => r.json());
  ${
    kind === "create"
      ? `const cred = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(answer) });
  const fields = { response: JSON.stringify(cred.toJSON()) }; const action = "key";`
      : `const cred = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(answer.options) });
  const fields = { response: JSON.stringify(cred.toJSON()), challengeId: answer.challengeId }; const action = "mfa";`
  }
  const form = document.createElement("form");
  form.method = "post";
  form.action = "/interaction/${uid}/" + action;
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
});
</script>`;
