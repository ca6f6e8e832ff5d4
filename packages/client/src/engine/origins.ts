/** The page's address in a browser, `undefined` elsewhere. */
export const pageUrl = (): string | undefined => {
  const href = (globalThis as { location?: { href?: string } }).location?.href;
  return typeof href === "string" && /^https?:/.test(href) ? href : undefined;
};

/**
 * The part of an absolute (or scheme-relative) URL that decides its origin: up to the first `/`
 * after the scheme's `//`, since an authority never extends past it. No match for a relative URL.
 */
const ORIGIN_PART = /^([a-z][a-z\d+.-]*:)?\/\/[^/]*/i;

/** The origins credentials may be sent to. */
export interface Origins {
  /** Allows the origin of `url`. Throws a `TypeError` for a URL that cannot be parsed when `strict`. */
  add_(url: string, strict?: boolean): void;
  /** Whether credentials may go to `url`, resolved against `base` (or the page) when relative. */
  allows_(url: string | undefined, base?: string): boolean;
}

/**
 * The origins credentials may be sent to: `origins` (default: the page's) and `baseUrl`. Answers
 * are cached by URL prefix (or base URL), so a request to a known API costs one regular expression
 * and one map lookup, no URL parsing.
 */
export function createOrigins(origins: string[] | undefined, baseUrl: string | undefined): Origins {
  const allowed = new Set<string>();
  const cache = new Map<string, boolean>();
  const add = (url: string, strict?: boolean) => {
    try {
      allowed.add(new URL(url, pageUrl()).origin);
      cache.clear();
    } catch (cause) {
      if (strict) throw new TypeError(`Not a valid origin: ${JSON.stringify(url)}.`, { cause });
    }
  };
  for (const url of [...(origins ?? [pageUrl()]), baseUrl]) if (url) add(url, true);
  return {
    add_: add,
    allows_(url, base) {
      const key = (url && ORIGIN_PART.exec(url)?.[0]) || base || "";
      let hit = cache.get(key);
      if (hit === undefined) {
        try {
          hit = allowed.has(new URL(key, pageUrl()).origin);
        } catch {
          hit = false;
        }
        if (cache.size > 255) cache.clear();
        cache.set(key, hit);
      }
      return hit;
    },
  };
}
