import { checkPassword, hashPassword, type PasswordHash } from "./passwords";
import { randomToken } from "./randomToken";

/** An account of the demo's primary login. */
export interface User {
  id: string;
  username: string;
  /** Display name. */
  name: string;
}

/** What signing in or refreshing answers. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
  user: User;
}

/** Why a refresh was refused. */
type RefreshFailure = "unknown" | "expired" | "reused";

/** A user to create, with the password in clear (hashed on creation). */
export interface NewUser {
  username: string;
  password: string;
  name?: string;
}

/** The primary-login backend: in-memory users, short-lived access tokens, rotating refresh tokens. */
export interface Accounts {
  /** Creates a user; throws when the username is taken. */
  createUser(user: NewUser): Promise<User>;
  /** Signs in with a username and password: a token pair, or `null` for wrong credentials. */
  signIn(username: string, password: string): Promise<TokenPair | null>;
  /**
   * Exchanges a refresh token for a new pair; the old one is spent. Presenting a spent token again
   * revokes every token descending from the same sign-in (`reused`).
   */
  refresh(
    refreshToken: string,
  ): { ok: true; tokens: TokenPair } | { ok: false; reason: RefreshFailure; userId?: string };
  /** The user an access token belongs to, or `null` when it is unknown or expired. */
  authenticate(accessToken: string): User | null;
  /** Revokes the sign-in a refresh token belongs to (all its tokens). */
  signOut(refreshToken: string): User | null;
  /**
   * Sets a new password and ends every sign-in of the user (all access and refresh tokens): a
   * thief holding an old token loses it with the old password. Answers a new pair for the caller.
   */
  setPassword(userId: string, password: string): Promise<TokenPair>;
  findUser(id: string): User | null;
  readonly userCount: number;
}

/** Options of {@link createAccounts}. */
export interface AccountsOptions {
  /** The server's clock. Defaults to `Date.now`. */
  now?: () => number;
  /** Lifetime of an access token. Defaults to 60 000 ms (one minute, to show refreshes). */
  accessTokenTtlMs?: number;
  /** Lifetime of a refresh token. Defaults to 8 hours. */
  refreshTokenTtlMs?: number;
  /** PBKDF2 iterations for password hashes. Defaults to 100 000. */
  passwordIterations?: number;
  /** The most accounts kept. Defaults to 10 000. */
  maxUsers?: number;
}

interface Account extends User {
  password: PasswordHash;
}

interface AccessGrant {
  userId: string;
  family: string;
  expiresAt: number;
}

interface RefreshGrant extends AccessGrant {
  spent: boolean;
}

/** Usernames: 3 to 64 letters, digits and `. _ @ -`. */
const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{3,64}$/;
/** The password length the demo accepts. */
const PASSWORD_LENGTH = { min: 8, max: 128 } as const;

/** Why a username or password is not acceptable, or `null` when it is. */
export function credentialProblem(username: unknown, password: unknown): string | null {
  if (typeof username !== "string" || !USERNAME_PATTERN.test(username)) {
    return "A username is 3 to 64 letters, digits, dots, underscores, @ or hyphens.";
  }
  return passwordProblem(password);
}

/** Why a new password is not acceptable, or `null` when it is. */
export function passwordProblem(password: unknown): string | null {
  if (
    typeof password !== "string" ||
    password.length < PASSWORD_LENGTH.min ||
    password.length > PASSWORD_LENGTH.max
  ) {
    return `A password is ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters long.`;
  }
  return null;
}

/**
 * A user's id, derived from the username: every instance of the demo names an account alike, so
 * instances sharing one MFA store (Redis) share its factors, codes and sessions.
 */
async function userIdFor(username: string): Promise<string> {
  const input = new TextEncoder().encode(`mfa-kit demo user:${username}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input)).slice(0, 9);
  return `usr_${btoa(String.fromCharCode(...digest))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")}`;
}

/** An empty account directory. */
export function createAccounts(options: AccountsOptions = {}): Accounts {
  const now = options.now ?? (() => Date.now());
  const accessTtl = options.accessTokenTtlMs ?? 60_000;
  const refreshTtl = options.refreshTokenTtlMs ?? 8 * 60 * 60 * 1000;
  const iterations = options.passwordIterations ?? 100_000;
  const maxUsers = options.maxUsers ?? 10_000;

  const byId = new Map<string, Account>();
  const byName = new Map<string, Account>();
  const access = new Map<string, AccessGrant>();
  const refresh = new Map<string, RefreshGrant>();
  // Compared against when the username is unknown, so both answers take the same time.
  let decoy: Promise<PasswordHash> | undefined;

  const publicUser = ({ id, username, name }: Account): User => ({ id, username, name });

  const issue = (account: Account, family: string): TokenPair => {
    const t = now();
    const accessToken = randomToken();
    const refreshToken = randomToken();
    access.set(accessToken, { userId: account.id, family, expiresAt: t + accessTtl });
    refresh.set(refreshToken, {
      userId: account.id,
      family,
      expiresAt: t + refreshTtl,
      spent: false,
    });
    sweep(t);
    return {
      accessToken,
      refreshToken,
      expiresIn: Math.round(accessTtl / 1000),
      user: publicUser(account),
    };
  };

  // Drops expired grants now and then, so memory stays bounded under load.
  let nextSweep = 0;
  const sweep = (t: number) => {
    if (t < nextSweep) return;
    nextSweep = t + 60_000;
    for (const [k, g] of access) if (g.expiresAt <= t) access.delete(k);
    for (const [k, g] of refresh) if (g.expiresAt <= t) refresh.delete(k);
  };

  const revokeFamily = (family: string) => {
    for (const [k, g] of access) if (g.family === family) access.delete(k);
    for (const [k, g] of refresh) if (g.family === family) refresh.delete(k);
  };

  return {
    async createUser({ username, password, name }) {
      const reason = credentialProblem(username, password);
      if (reason) throw new TypeError(reason);
      const key = username.toLowerCase();
      if (byName.has(key)) throw new Error(`The username ${JSON.stringify(username)} is taken.`);
      if (byId.size >= maxUsers) throw new Error("The demo holds no more accounts.");
      const account: Account = {
        id: await userIdFor(key),
        username,
        name: name?.trim() || username,
        password: await hashPassword(password, iterations),
      };
      if (byName.has(key)) throw new Error(`The username ${JSON.stringify(username)} is taken.`);
      byId.set(account.id, account);
      byName.set(key, account);
      return publicUser(account);
    },

    async signIn(username, password) {
      const account = byName.get(username.toLowerCase());
      if (!account) {
        decoy ??= hashPassword("decoy password", iterations);
        await checkPassword(password, await decoy);
        return null;
      }
      if (!(await checkPassword(password, account.password))) return null;
      return issue(account, randomToken(12));
    },

    refresh(token) {
      const grant = refresh.get(token);
      if (!grant) return { ok: false, reason: "unknown" };
      if (grant.spent) {
        revokeFamily(grant.family);
        return { ok: false, reason: "reused", userId: grant.userId };
      }
      const account = byId.get(grant.userId);
      if (grant.expiresAt <= now() || !account) {
        refresh.delete(token);
        return { ok: false, reason: "expired", userId: grant.userId };
      }
      grant.spent = true;
      return { ok: true, tokens: issue(account, grant.family) };
    },

    authenticate(token) {
      const grant = access.get(token);
      if (!grant) return null;
      if (grant.expiresAt <= now()) {
        access.delete(token);
        return null;
      }
      const account = byId.get(grant.userId);
      return account ? publicUser(account) : null;
    },

    signOut(token) {
      const grant = refresh.get(token);
      if (!grant) return null;
      revokeFamily(grant.family);
      const account = byId.get(grant.userId);
      return account ? publicUser(account) : null;
    },

    async setPassword(userId, password) {
      const reason = passwordProblem(password);
      if (reason) throw new TypeError(reason);
      const account = byId.get(userId);
      if (!account) throw new Error(`No user ${userId}.`);
      account.password = await hashPassword(password, iterations);
      for (const [k, g] of access) if (g.userId === userId) access.delete(k);
      for (const [k, g] of refresh) if (g.userId === userId) refresh.delete(k);
      return issue(account, randomToken(12));
    },

    findUser(id) {
      const account = byId.get(id);
      return account ? publicUser(account) : null;
    },

    get userCount() {
      return byId.size;
    },
  };
}
