export {
  BackupCodes,
  type BackupCodesMessages,
  type BackupCodesProps,
} from "./components/BackupCodes";
export { OneTimeCodeInput, type OneTimeCodeInputProps } from "./components/OneTimeCodeInput";
export { QrCode, type QrCodeProps } from "./components/QrCode";
export {
  type StepUpMessages,
  StepUpModal,
  type StepUpModalProps,
} from "./components/StepUpModal";
export {
  TotpEnrollment,
  type TotpEnrollmentMessages,
  type TotpEnrollmentProps,
} from "./components/TotpEnrollment";
export {
  type EnrollmentState,
  type EnrollmentStep,
  useEnrollment,
} from "./hooks/useEnrollment";
export { type FactorsState, useFactors } from "./hooks/useFactors";
export { type MfaState, useMfa } from "./hooks/useMfa";
export { type SentCode, type StepUpState, useStepUp } from "./hooks/useStepUp";
export { MfaProvider, type MfaProviderProps } from "./MfaProvider";
