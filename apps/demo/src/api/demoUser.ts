import type { NewUser } from "./accounts";

/** The account every demo server starts with; the sign-in screen shows its credentials. */
export const DEMO_USER = {
  username: "demo",
  password: "demo-password",
  name: "Dana Demo",
} as const satisfies NewUser;
