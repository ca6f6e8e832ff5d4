import type { ReactNode } from "react";

/**
 * A button of the default look (`"mfa-button"`, `"mfa-button mfa-primary"` when `primary`): a plain
 * button calling `onClick`, or without one the form's submit button.
 */
export const button = (
  label: ReactNode,
  onClick?: () => void,
  primary?: boolean,
  disabled?: boolean,
) => (
  <button
    type={onClick ? "button" : "submit"}
    className={primary ? "mfa-button mfa-primary" : "mfa-button"}
    disabled={disabled}
    onClick={onClick}
  >
    {label}
  </button>
);
