import { MfaError } from "./mfaError";

/** The `ABORTED` error for an aborted signal. */
export const abortError = (signal: AbortSignal | null | undefined): MfaError =>
  new MfaError("ABORTED", "Aborted.", { cause: signal?.reason });

/** `promise`, or a rejection with `ABORTED` as soon as `signal` aborts. */
export const abortable = <T>(
  promise: Promise<T>,
  signal: AbortSignal | null | undefined,
): Promise<T> =>
  signal
    ? new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(abortError(signal));
        if (signal.aborted) onAbort();
        signal.addEventListener("abort", onAbort);
        promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      })
    : promise;

/** Resolves after `ms`, or rejects with `ABORTED` as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return abortable(
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
    signal,
  ).finally(() => clearTimeout(timer));
}
