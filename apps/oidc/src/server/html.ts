import type { ServerResponse } from "node:http";

/** A small HTML page of the provider (no scripts: the forms post back). */
export function page(res: ServerResponse, title: string, body: string, status = 200) {
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy":
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:",
  });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px system-ui;max-width:28rem;margin:3rem auto}label{display:block;margin:.75rem 0}input{display:block;width:100%;padding:.4rem}button{padding:.5rem 1rem}</style>
</head><body><h1>${title}</h1>${body}</body></html>`);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The provider's error page (an OAuth error the browser landed on). */
export const errorPage = (error: string, description: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><h1>Sign-in error</h1><p><code>${escapeHtml(error)}</code> ${escapeHtml(description)}</p></body></html>`;
