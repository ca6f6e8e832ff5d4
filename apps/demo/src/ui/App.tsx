import { MfaProvider, StepUpModal } from "@mfa-kit/react";
import { ClientActivityPanel } from "./ClientActivityPanel";
import { CurrentCodePanel } from "./CurrentCodePanel";
import { DemoControlsPanel } from "./DemoControlsPanel";
import { type DemoClients, DemoContext, useDemo, useUser } from "./demoContext";
import { factorName } from "./factorName";
import { SecurityEventsPanel } from "./SecurityEventsPanel";
import { SignedInArea } from "./SignedInArea";
import { SignInScreen } from "./SignInScreen";

/** The whole demo: the app on the left, the demo's tools on the right, the step-up modal on top. */
export function App({ clients }: { clients: DemoClients }) {
  return (
    <DemoContext.Provider value={clients}>
      <MfaProvider client={clients.mfa}>
        <Shell />
        <DemoStepUpModal />
      </MfaProvider>
    </DemoContext.Provider>
  );
}

/** The kit's modal, naming factors as the factor list does ("Verify with" shows no username). */
function DemoStepUpModal() {
  const user = useUser();
  return <StepUpModal messages={{ factorName: (f) => factorName(f, user?.username) }} />;
}

function Shell() {
  const user = useUser();
  const { auth, mfa } = useDemo();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <h1>mfa-kit demo bank</h1>
        {user && (
          <div className="who">
            <span>
              Signed in as <strong>{user.name}</strong>
            </span>
            <button
              type="button"
              className="button"
              onClick={async () => {
                await mfa.api.signOut().catch(() => undefined);
                await auth.signOut();
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      <div className="layout">
        <main id="main">{user ? <SignedInArea key={user.id} /> : <SignInScreen />}</main>
        <aside aria-label="Demo tools">
          {/* The authenticator stand-in first: in view without scrolling. */}
          {user && <CurrentCodePanel />}
          <DemoControlsPanel />
          <SecurityEventsPanel />
          <ClientActivityPanel />
        </aside>
      </div>
    </>
  );
}
