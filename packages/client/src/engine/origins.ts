/** The page's origin and address in a browser, `undefined` elsewhere. */
export const pageUrl = (): string | undefined => {
  const href = (globalThis as { location?: { href?: string } }).location?.href;
  return typeof href === "string" && /^https?:/.test(href) ? href : undefined;
};

const SCHEME = /^[a-z][a-z\d+.-]*$/i;

/**
 * The part of a URL that decides its origin, or `undefined` for a relative URL. Cut at the first
 * `/` after the scheme's `//`: the origin of this prefix is the origin of the whole URL, because an
 * authority never extends past the first `/`. No URL parsing on this path.
 */
function originPart(url: string): string | undefined {
  if (url.charCodeAt(0) === 47) {
    if (url.charCodeAt(1) !== 47) return undefined;
    const end = url.indexOf("/", 2);
    return end < 0 ? url : url.slice(0, end);
  }
  const colon = url.indexOf("://");
  if (colon < 1 || !SCHEME.test(url.slice(0, colon))) return undefined;
  const end = url.indexOf("/", colon + 3);
  return end < 0 ? url : url.slice(0, end);
}

/**
 * The origins credentials may be sent to. Answers are cached by URL prefix (or base URL), so a
 * request to a known API costs one string slice and one map lookup.
 */
export class Origins {
  private readonly allowed = new Set<string>();
  private readonly cache = new Map<string, boolean>();

  constructor(origins: string[] | undefined, baseUrl: string | undefined) {
    const page = pageUrl();
    for (const origin of origins ?? (page ? [page] : [])) this.add(origin, true);
    if (baseUrl) this.add(baseUrl, true);
  }

  /** Allows the origin of `url`. Throws a `TypeError` for a URL that cannot be parsed when `strict`. */
  add(url: string, strict = false): void {
    try {
      this.allowed.add(new URL(url, pageUrl()).origin);
      this.cache.clear();
    } catch (cause) {
      if (strict) throw new TypeError(`Not a valid origin: ${JSON.stringify(url)}.`, { cause });
    }
  }

  /** Whether credentials may go to `url`, resolved against `base` (or the page) when relative. */
  allows(url: string | undefined, base?: string): boolean {
    const key = (url && originPart(url)) ?? base ?? "";
    let hit = this.cache.get(key);
    if (hit === undefined) {
      try {
        hit = this.allowed.has(new URL(key, pageUrl()).origin);
      } catch {
        hit = false;
      }
      if (this.cache.size > 255) this.cache.clear();
      this.cache.set(key, hit);
    }
    return hit;
  }
}
