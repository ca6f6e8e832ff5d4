import { useState } from "react";
import { FactorsCard } from "./FactorsCard";
import { PasswordCard } from "./PasswordCard";
import { ProfileCard } from "./ProfileCard";
import { SessionCard } from "./SessionCard";
import { TransferCard } from "./TransferCard";

/** The account page: every protected route of the reference API, and the factors. */
export function AccountScreen() {
  const [version, setVersion] = useState(0);
  return (
    <>
      <ProfileCard version={version} />
      <SessionCard />
      <TransferCard onTransferred={() => setVersion((v) => v + 1)} />
      <FactorsCard />
      <PasswordCard />
    </>
  );
}
