/** The largest request body the handler reads. */
const MAX_BODY_BYTES = 64 * 1024;

/** A parsed JSON body, or the 4xx to answer with. */
export type BodyResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; status: 400 | 413 | 415; detail: string };

const tooLarge = { ok: false, status: 413, detail: "The body is larger than 64 KB." } as const;

/**
 * Reads a JSON object body of at most {@link MAX_BODY_BYTES}, counting bytes as they arrive (a
 * wrong or missing `Content-Length` changes nothing). An empty body reads as `{}`; a non-empty one
 * must be declared `application/json` (or `+json`) and hold a JSON object.
 */
export async function readJsonBody(req: Request, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) return tooLarge;
  let bytes: Uint8Array;
  try {
    if (!req.body) bytes = new Uint8Array(0);
    else {
      const reader = req.body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
          await reader.cancel().catch(() => {});
          return tooLarge;
        }
        chunks.push(value);
      }
      bytes = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.byteLength;
      }
    }
  } catch {
    return { ok: false, status: 400, detail: "The body could not be read." };
  }
  if (bytes.byteLength === 0) return { ok: true, value: {} };
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[\w.+-]+\+json$/.test(type)) {
    return { ok: false, status: 415, detail: "Send the body as application/json." };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 400, detail: "The body is not valid UTF-8." };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, detail: "The body is not valid JSON." };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, status: 400, detail: "The body must be a JSON object." };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** A field check: the value, or an error message naming the field. */
type Field<T> = { ok: true; value: T } | { ok: false; detail: string };

/** An optional string field of at most `max` characters. */
export function optionalString(
  body: Record<string, unknown>,
  name: string,
  max: number,
): Field<string | undefined> {
  const v = body[name];
  if (v === undefined || v === null) return { ok: true, value: undefined };
  if (typeof v !== "string") return { ok: false, detail: `\`${name}\` must be a string.` };
  if (v.length > max) return { ok: false, detail: `\`${name}\` is longer than ${max} characters.` };
  return { ok: true, value: v };
}

/** An optional JSON object field. */
export function optionalObject(
  body: Record<string, unknown>,
  name: string,
): Field<Record<string, unknown> | undefined> {
  const v = body[name];
  if (v === undefined || v === null) return { ok: true, value: undefined };
  if (typeof v !== "object" || Array.isArray(v)) {
    return { ok: false, detail: `\`${name}\` must be a JSON object.` };
  }
  return { ok: true, value: v as Record<string, unknown> };
}

// Header values the handler reads must be visible ASCII or tabs: no CR, LF, NUL or other controls.
const SAFE_HEADER = /^[\t\x20-\x7e]*$/;

/** A header value, `undefined` when absent, or `null` when it holds control or non-ASCII characters. */
export function readHeader(req: Request, name: string): string | undefined | null {
  const v = req.headers.get(name);
  if (v === null) return undefined;
  return SAFE_HEADER.test(v) ? v.trim() : null;
}
