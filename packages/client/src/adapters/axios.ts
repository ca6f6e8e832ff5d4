import { MfaHeaders } from "@mfa-kit/protocol";
import type { Engine, Failure } from "../engine/engine";
import { type Origins, pageUrl } from "../engine/origins";
import { RequestContext } from "../engine/requestContext";
import type { MfaRequestOptions } from "../engine/requestOptions";

/**
 * What the client needs of an axios instance (`axios.create()` or the default export). Duck-typed:
 * `@mfa-kit/client` never imports axios.
 */
export interface AxiosLike {
  defaults: { baseURL?: string };
  interceptors: { request: InterceptorsLike; response: InterceptorsLike };
  request(config: never): Promise<unknown>;
  getUri(config?: never): string;
}

/** An axios interceptor manager, loosely typed so every axios 1.x instance fits. */
export interface InterceptorsLike {
  use(...handlers: never[]): number;
  eject(id: number): void;
}

// String keys: older axios versions copy only string keys when they merge a config for a replay.
const CTX = "__mfaKitContext";

type Redirect = (
  options: { href?: string; headers?: Record<string, unknown> },
  ...rest: unknown[]
) => void;

interface Config {
  url?: string;
  baseURL?: string;
  method?: string;
  headers: Record<string, unknown> & { get(name: string): unknown };
  timeout?: number;
  signal?: AbortSignal;
  beforeRedirect?: Redirect;
  mfa?: MfaRequestOptions;
  [CTX]?: RequestContext;
}

interface Res {
  status: number;
  data: unknown;
  headers: Config["headers"];
  config?: Config;
}

interface AxiosErrorLike {
  config?: Config;
  response?: Res;
  request?: unknown;
  code?: string;
  message?: string;
}

/** Headers that never follow a redirect to an origin outside the allowed ones. */
const SENSITIVE = [
  "authorization",
  "cookie",
  "proxy-authorization",
  MfaHeaders.sessionToken,
  MfaHeaders.mfaToken,
].map((name) => name.toLowerCase());

const headersOf = (h: Config["headers"]) => ({
  get: (name: string) => (h.get(name) ?? null) as string | null,
});

/** Why a request got no response; `undefined` for a bad config that never went out. */
const kindOf = ({ code, message, request }: AxiosErrorLike): Failure["kind"] =>
  code === "ERR_CANCELED"
    ? "abort"
    : code === "ETIMEDOUT" || /timeout/i.test(message ?? "")
      ? "timeout"
      : request || code === "ERR_NETWORK"
        ? "network"
        : undefined;

/** Installs and removes the client's interceptors on axios instances. */
export function axiosAdapter(engine: Engine, origins: Origins) {
  const installed = new WeakMap<AxiosLike, [number, number, () => void]>();
  /** The first wrapped instance's `baseURL`: the API's address when `baseUrl` is not set. */
  let wrappedBase: string | undefined;

  // axios in Node follows redirects with follow-redirects, which calls this before each hop:
  // credentials leaving the allowed origins are dropped, whoever set them.
  const guard: Redirect = ({ href, headers }) => {
    if (href && !origins.allows(href)) {
      for (const name in headers) if (SENSITIVE.includes(name.toLowerCase())) delete headers[name];
    }
  };

  /** The guard, then `hook` (a caller's own `beforeRedirect`) if there is one. */
  const chain = (hook: Redirect | undefined): Redirect =>
    hook
      ? (options, ...rest) => {
          guard(options);
          hook(options, ...rest);
        }
      : guard;

  function wrap<T extends AxiosLike>(instance: T): T {
    if (installed.has(instance)) return instance;
    const base = instance.defaults.baseURL;
    if (base) {
      origins.add(base);
      wrappedBase ??= base;
    }
    const defaults = instance.defaults as { beforeRedirect?: Redirect };
    const previous = defaults.beforeRedirect;
    const instanceGuard = chain(previous);
    defaults.beforeRedirect = instanceGuard;
    const urlOf = (ctx: RequestContext) =>
      new URL(instance.getUri(ctx.target as never), pageUrl()).href;

    const onRequest = (config: Config): Config | Promise<Config> => {
      let ctx = config[CTX];
      if (!ctx) {
        ctx = config[CTX] = new RequestContext(
          (config.method ?? "get").toUpperCase(),
          config.signal,
          urlOf,
          config,
          config.mfa,
        );
        // One pass over the names (AxiosHeaders' own has() is slow on this path); false = "unset".
        const { headers } = config;
        for (const name in headers) if (headers[name] != null) ctx.mark(name);
        config.timeout ||= engine.o.timeoutMs;
        // The guard comes from the instance's defaults; a request's own hook is chained to it.
        const user = config.beforeRedirect;
        if (user !== instanceGuard) config.beforeRedirect = chain(user);
      }
      ctx.target = config;
      const wait = engine.before(ctx, origins.allows(config.url, config.baseURL));
      if (!wait) {
        ctx.apply(config.headers);
        return config;
      }
      const c = ctx;
      return wait.then(() => {
        c.apply(config.headers);
        return config;
      });
    };

    /** Lets the engine decide on a failed attempt: replay it, or hand the failure on. */
    const settle = async (
      ctx: RequestContext,
      config: Config,
      res?: Res,
      error?: AxiosErrorLike,
    ) => {
      const replay = await engine.handle(ctx, {
        status: res?.status ?? 0,
        kind: res ? undefined : kindOf(error!),
        headers: res && headersOf(res.headers),
        body: async () => res?.data,
        response: res,
        error,
      });
      if (replay) return instance.request(config as never);
      if (error) throw error;
      return res;
    };

    // Statuses a custom `validateStatus` accepts arrive here: the engine sees them all the same.
    const onResponse = (res: Res) => {
      const { config } = res;
      const ctx = config?.[CTX];
      if (!ctx) return res;
      engine.after(ctx, (res.headers.date ?? res.headers.get("date")) as string);
      return res.status < 400 ? res : settle(ctx, config!, res);
    };

    const onError = async (error: AxiosErrorLike): Promise<unknown> => {
      const { config, response: res } = error;
      const ctx = config?.[CTX];
      if (!ctx || !(res || kindOf(error))) throw error;
      if (res) engine.after(ctx, res.headers.get("date") as string);
      return settle(ctx, config!, res, error);
    };

    installed.set(instance, [
      instance.interceptors.request.use(onRequest as never),
      instance.interceptors.response.use(onResponse as never, onError as never),
      () => {
        if (defaults.beforeRedirect === instanceGuard) defaults.beforeRedirect = previous;
      },
    ]);
    return instance;
  }

  function unwrap<T extends AxiosLike>(instance: T): T {
    const [request, response, restore] = installed.get(instance) ?? [];
    if (restore) {
      instance.interceptors.request.eject(request!);
      instance.interceptors.response.eject(response!);
      restore();
      installed.delete(instance);
    }
    return instance;
  }

  return { wrap, unwrap, base: () => wrappedBase };
}
