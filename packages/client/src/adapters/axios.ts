import type { Engine } from "../engine/engine";
import { type Origins, pageUrl } from "../engine/origins";
import { applyHeaders, markOwn, RequestContext } from "../engine/requestContext";
import type { MfaRequestOptions } from "../engine/requestOptions";
import { type Redirect, redirectGuard } from "./redirectGuard";

/**
 * What the client needs of an axios instance (`axios.create()` or the default export). Duck-typed:
 * `@mfa-kit/client` never imports axios.
 */
export interface AxiosLike {
  defaults: { baseURL?: string; timeout?: number };
  interceptors: { request: InterceptorsLike; response: InterceptorsLike };
  request(config: never): Promise<unknown>;
  getUri(config?: never): string;
}

/** An axios interceptor manager, loosely typed so every axios 1.x instance fits. */
export interface InterceptorsLike {
  use(...handlers: never[]): number;
  eject(id: number): void;
}

// A string key: older axios versions copy only string keys when they merge a config for a replay.
const CTX = "__mfaKitContext";

interface Config {
  url?: string;
  baseURL?: string;
  method?: string;
  headers: Record<string, unknown> & { get(name: string): unknown };
  signal?: AbortSignal;
  beforeRedirect?: Redirect;
  mfa?: MfaRequestOptions;
  [CTX]?: RequestContext;
}

interface Res {
  status: number;
  data: unknown;
  headers: Config["headers"];
  config: Config;
}

interface AxiosErrorLike {
  config?: Config;
  response?: Res;
  request?: unknown;
  code?: string;
  message?: string;
}

/** Why a request got no response; `undefined` for a bad config that never went out. */
const kindOf = ({ code, message, request }: AxiosErrorLike) =>
  code === "ERR_CANCELED"
    ? "abort"
    : code === "ETIMEDOUT" || /timeout/i.test(message!)
      ? "timeout"
      : request || code === "ERR_NETWORK"
        ? "network"
        : undefined;

/** Installs and removes the client's interceptors on axios instances. */
export function axiosAdapter(engine: Engine, origins: Origins) {
  const installed = new WeakMap<AxiosLike, () => void>();
  const guardRedirects = redirectGuard(origins);

  return {
    wrap<T extends AxiosLike>(instance: T): T {
      if (installed.has(instance)) return instance;
      const { interceptors, defaults } = instance;
      const base = defaults.baseURL;
      if (base) {
        origins.add_(base);
        engine.wrappedBase ??= base;
      }
      // The timeout goes in the defaults (restored by unwrap), which every request merges anyway:
      // a per-request write costs more on axios's merged config. A request's own timeout wins.
      const timeout = defaults.timeout;
      if (!timeout) defaults.timeout = engine.o.timeoutMs;
      function url(this: RequestContext) {
        return new URL(instance.getUri(this.target as never), pageUrl()).href;
      }

      const onRequest = (config: Config, sync?: boolean): Config | Promise<Config> => {
        // Each read of axios's merged config is a slow lookup: every property is read once.
        const { headers } = config;
        let ctx = config[CTX];
        if (!ctx) {
          ctx = config[CTX] = new RequestContext(
            config.method ?? "get",
            config.signal,
            url,
            config,
            config.mfa,
          );
          // One pass over the names (AxiosHeaders' own has() is slow on this path).
          for (const name in headers) if (headers[name] != null) markOwn(ctx, name);
          guardRedirects?.(config);
        }
        const c = ctx;
        const wait = engine.before(c, origins.allows_(config.url, config.baseURL), sync);
        if (!wait) {
          applyHeaders(c, headers);
          return config;
        }
        // The closure exists only on this path: the synchronous one allocates nothing here.
        return wait.then(() => {
          applyHeaders(c, headers);
          return config;
        });
      };

      // Statuses a custom `validateStatus` accepts arrive here too: the engine sees them all the same.
      const settle = (res: Res | undefined, error?: AxiosErrorLike): unknown => {
        const config = (error ?? res)!.config!;
        const ctx = config?.[CTX];
        const kind = res ? undefined : kindOf(error!);
        if (!ctx || !(res || kind)) {
          if (error) throw error;
          return res;
        }
        if (res) engine.after(ctx, (res.headers.date ?? res.headers.get("date")) as string);
        if (!error && res!.status < 400) return res;
        return engine
          .handle(ctx, {
            status: res?.status ?? 0,
            kind,
            headers: res?.headers,
            body: () => res?.data,
            response: res,
            error,
          })
          .then((replay) => {
            if (replay) return instance.request(config as never);
            if (error) throw error;
            return res;
          });
      };

      // Registered twice, and only one of the two runs for a request: synchronously (axios then
      // sends it without a promise hop) when the engine has nothing to wait for, else async.
      let ready = false;
      const requests = [
        interceptors.request.use(
          ((config: Config) => onRequest(config, true)) as never,
          undefined as never,
          {
            synchronous: true,
            runWhen: () => {
              ready = engine.ready();
              return ready;
            },
          } as never,
        ),
        interceptors.request.use(
          onRequest as never,
          undefined as never,
          {
            runWhen: () => !ready,
          } as never,
        ),
      ];
      const response = interceptors.response.use(
        settle as never,
        ((error: AxiosErrorLike) => settle(error.response, error)) as never,
      );
      installed.set(instance, () => {
        for (const id of requests) interceptors.request.eject(id);
        interceptors.response.eject(response);
        if (defaults.timeout === engine.o.timeoutMs) defaults.timeout = timeout;
      });
      return instance;
    },

    unwrap<T extends AxiosLike>(instance: T): T {
      installed.get(instance)?.();
      installed.delete(instance);
      return instance;
    },
  };
}
