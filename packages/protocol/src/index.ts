export { formatBase32ForDisplay, normalizeBase32 } from "./base32";
export {
  type HeaderSource,
  type HeadersLike,
  headerValue,
  type MfaHeaderName,
  MfaHeaders,
} from "./headers";
export {
  type ClockSide,
  type FactorSummary,
  type FactorType,
  isProblem,
  type MfaProblem,
  type MfaProblemName,
  MfaProblemTypes,
  PROBLEM_CONTENT_TYPE,
  problem,
  problemName,
  type VerifyHint,
} from "./problem";
export {
  parseRateLimit,
  type RateLimitInfo,
  type RateLimitItem,
  type RateLimitPolicy,
} from "./rateLimit";
export { parseHttpDate, parseRetryAfter } from "./retryAfter";
export {
  type ActivateFactorRequest,
  type ActivateFactorResponse,
  type BackupCodesResponse,
  type ContactChannel,
  DEFAULT_BASE_PATH,
  type EnrollContactRequest,
  type EnrollContactResponse,
  type EnrollTotpRequest,
  type EnrollTotpResponse,
  type ListFactorsResponse,
  type MfaRouteName,
  MfaRoutes,
  type MfaSessionResponse,
  mfaPath,
  type RenameFactorRequest,
  type StartChallengeRequest,
  type StartChallengeResponse,
  type VerifyRequest,
  type WebAuthnJSON,
  type WebauthnRegistrationRequest,
} from "./routes";
export {
  INSUFFICIENT_USER_AUTHENTICATION,
  parseStepUpChallenge,
  type StepUpChallenge,
} from "./stepUp";
export { type AuthChallenge, parseWwwAuthenticate } from "./wwwAuthenticate";
