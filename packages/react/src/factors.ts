export {
  ContactEnrollment,
  type ContactEnrollmentMessages,
  type ContactEnrollmentProps,
} from "./components/ContactEnrollment";
export { FactorList, type FactorListMessages, type FactorListProps } from "./components/FactorList";
export {
  SecurityKeyEnrollment,
  type SecurityKeyEnrollmentMessages,
  type SecurityKeyEnrollmentProps,
} from "./components/SecurityKeyEnrollment";
