export type { AxiosLike, InterceptorsLike } from "./adapters/axios";
export type { MfaFetch, MfaRequestInit } from "./adapters/fetch";
export { createMfaClient, type MfaClient, type StepUpOptions } from "./createMfaClient";
export type { MfaClock } from "./engine/clock";
export type { MfaErrorCode } from "./engine/errorCodes";
export type { MfaEvent, MfaEventListener, RetryReason } from "./engine/events";
export { MfaError, type MfaErrorDetails } from "./engine/mfaError";
export type {
  FailureHandler,
  MfaClientOptions,
  MfaPaths,
  MfaSessionOptions,
  StorageLike,
} from "./engine/options";
export { type MfaRequestOptions, oneShot } from "./engine/requestOptions";
export type { RetryOptions } from "./engine/retryPolicy";
export type {
  ChallengeAnswer,
  ChallengeHandler,
  MfaSessionInfo,
  MfaSnapshot,
  MfaStatus,
  PendingChallenge,
} from "./engine/types";
export type { MfaApi } from "./mfaApi";
