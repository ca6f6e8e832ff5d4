import { isProblem } from "@mfa-kit/protocol";
import type { TokenPair, User } from "../api/accounts";

/** What the app knows about the primary sign-in. */
interface AuthSnapshot {
  user: User | null;
}

/** The app's own primary login: username/password for an access token and a refresh token. */
export interface AuthClient {
  signIn(username: string, password: string): Promise<User>;
  /** The current access token, or `null` when signed out. */
  getAccessToken(): string | null;
  /**
   * Trades the refresh token for a new pair and answers the new access token. When the server
   * refuses, the app is signed out and this throws.
   */
  refreshAccessToken(): Promise<string>;
  /** Takes a token pair the server issued elsewhere (a password change answers one). */
  adopt(pair: TokenPair): void;
  /** Revokes the refresh token on the server (best effort) and forgets the tokens. */
  signOut(): Promise<void>;
  subscribe(listener: () => void): () => void;
  getSnapshot(): AuthSnapshot;
}

/** A failed sign-in or refresh, with the server's explanation. */
class AuthError extends Error {
  override name = "AuthError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Options of {@link createAuthClient}. */
export interface AuthClientOptions {
  /** Origin of the demo API. Defaults to the page's origin. */
  baseUrl?: string;
  /** The fetch to call the sign-in routes with. Defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
}

async function explain(res: Response): Promise<AuthError> {
  const body: unknown = await res.json().catch(() => null);
  const text = isProblem(body) ? (body.detail ?? body.title) : `HTTP ${res.status}`;
  return new AuthError(text, res.status);
}

/** An auth client holding its tokens in memory only (a reload signs out). */
export function createAuthClient(options: AuthClientOptions = {}): AuthClient {
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const base = options.baseUrl ?? globalThis.location?.origin;
  if (!base) throw new TypeError("createAuthClient needs a baseUrl outside a browser.");
  const url = (path: string) => new URL(path, base).toString();

  let tokens: { access: string; refresh: string } | null = null;
  let snapshot: AuthSnapshot = { user: null };
  const listeners = new Set<() => void>();
  const set = (pair: TokenPair | null) => {
    tokens = pair ? { access: pair.accessToken, refresh: pair.refreshToken } : null;
    const user = pair?.user ?? null;
    if (user?.id !== snapshot.user?.id || user?.name !== snapshot.user?.name) {
      snapshot = { user };
      for (const l of [...listeners]) l();
    }
  };
  const post = (path: string, body: unknown) =>
    doFetch(url(path), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  return {
    async signIn(username, password) {
      const res = await post("/api/auth/signin", { username, password });
      if (!res.ok) throw await explain(res);
      const pair = (await res.json()) as TokenPair;
      set(pair);
      return pair.user;
    },
    getAccessToken: () => tokens?.access ?? null,
    adopt: (pair) => set(pair),
    async refreshAccessToken() {
      const refresh = tokens?.refresh;
      if (!refresh) throw new AuthError("Not signed in.", 401);
      const res = await post("/api/auth/refresh", { refreshToken: refresh });
      if (!res.ok) {
        const error = await explain(res);
        // Another refresh may have replaced the tokens meanwhile; only drop the ones that failed.
        if (res.status === 401 && tokens?.refresh === refresh) set(null);
        throw error;
      }
      const pair = (await res.json()) as TokenPair;
      set(pair);
      return pair.accessToken;
    },
    async signOut() {
      const refresh = tokens?.refresh;
      set(null);
      if (refresh)
        await post("/api/auth/signout", { refreshToken: refresh }).catch(() => undefined);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => snapshot,
  };
}
