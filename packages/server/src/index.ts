export type { ClockCheck, ClockCheckOptions } from "./clock/clockCheck";
export type { HashAlgorithm, MfaCrypto } from "./crypto/types";
export type {
  BackupCodeUsedEvent,
  ClockSuspectEvent,
  EventContext,
  FactorEnrolledEvent,
  FactorImportedEvent,
  FactorRemovedEvent,
  FailedEvent,
  LocationChangedEvent,
  LockedEvent,
  MethodType,
  MfaEvent,
  MfaEventType,
  NewDeviceEvent,
  SuspendedEvent,
  UnlockedEvent,
  VerifiedEvent,
  VerifyContext,
} from "./events/types";
export type { FactorInfo } from "./factors/factorRecord";
export { AccountLabelError, type ImportedTotp, type TotpEnrollment } from "./factors/totp";
export type { ImportedWebauthnCredential } from "./factors/webauthn";
export { type Cors, type CorsOptions, createCors } from "./http/cors";
export { createMfaHandler, type MfaHandlerOptions } from "./http/handler";
export { type MfaGuardResult, type RequireMfaOptions, requireMfa } from "./http/requireMfa";
export type { ErrorInfo, OnError } from "./http/responses";
export type {
  EnrollmentOptions,
  HotpOptions,
  LimitOptions,
  MfaServerOptions,
  OtpMessage,
  OtpOptions,
  RiskOptions,
  SessionOptions,
  TotpOptions,
  WebauthnOptions,
} from "./options";
export type { EncryptionKeys } from "./secrets/keyRing";
export {
  type ActivateResult,
  createMfaServer,
  type EnrollContactResult,
  type MfaServer,
  type StartChallengeResult,
  type StepUpProof,
} from "./server";
export type {
  MfaSessionClaims,
  SessionCheck,
  SessionRefresh,
  SessionRequirements,
} from "./sessions/sessions";
export { type MemoryStore, type MemoryStoreDump, memoryStore } from "./stores/memory";
export { StoreUnavailableError } from "./stores/storeUnavailable";
export type {
  ActivationOutcome,
  AttemptFailure,
  AttemptResult,
  BackupCodeSet,
  CheckBase,
  CredentialCheck,
  FactorRecord,
  LimitPolicy,
  MfaStore,
  SessionScope,
  StoredCode,
  StoredSession,
  SuccessSteps,
  ThrottleLimit,
  UserFactors,
  VerifyAttempt,
} from "./stores/types";
export type {
  ProofResult,
  VerifyFailure,
  VerifyFailureReason,
  VerifyInput,
  VerifyResult,
} from "./verify";
export { createWebhookSecret } from "./webhooks/createWebhookSecret";
export type { WebhookDispatcher } from "./webhooks/dispatcher";
export type {
  WebhookDeliveryOptions,
  WebhookEndpoint,
  WebhookRequest,
  WebhookResponse,
  WebhookTransport,
} from "./webhooks/types";
export {
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookInput,
  type WebhookPayload,
  type WebhookVerification,
} from "./webhooks/verifyWebhook";
