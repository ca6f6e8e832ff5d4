import { createMfaClient } from "@mfa-kit/client";
import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { SetupServer } from "msw/node";
import type { ReactElement } from "react";
import { vi } from "vitest";
import { MfaProvider } from "../MfaProvider";
import { type ReferenceApiOptions, referenceApi } from "./referenceApi";

/**
 * Renders `ui` inside `<MfaProvider>` with a real client whose calls reach the reference API's msw
 * handlers. `fakeTimers`: the test runs on vitest's fake timers, so user events advance them.
 */
export function renderWithMfa(
  ui: ReactElement,
  server: SetupServer,
  options: ReferenceApiOptions & { fakeTimers?: boolean } = {},
) {
  const api = referenceApi(options);
  server.use(...api.handlers);
  const mfa = createMfaClient({ getAccessToken: () => "primary-token" });
  const user = userEvent.setup(
    options.fakeTimers ? { advanceTimers: (ms) => vi.advanceTimersByTime(ms) } : {},
  );
  const view = render(ui, {
    wrapper: ({ children }) => <MfaProvider client={mfa}>{children}</MfaProvider>,
  });
  return { api, mfa, user, ...view };
}

/** Counts how many times a dialog was added to the document from now on. */
export function countDialogOpenings(): () => number {
  let openings = 0;
  const scan = (records: MutationRecord[]) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node instanceof Element && node.matches('[role="dialog"], :has([role="dialog"])')) {
          openings++;
        }
      }
    }
  };
  const observer = new MutationObserver(scan);
  observer.observe(document.body, { childList: true, subtree: true });
  return () => {
    scan(observer.takeRecords());
    return openings;
  };
}
