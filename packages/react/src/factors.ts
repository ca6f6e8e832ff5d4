// Everything of the main entry too, so that the two entries share one chunk holding all of the main
// entry's code: an app importing from both loads each module once, and the main entry's imports
// of React come in one statement.

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
export * from "./index";
