import { useState } from "react";
import { copyText } from "../saveText";

/** A button that copies `text`, then says whether it worked in a polite live region. */
export function CopyButton({
  text,
  label,
  done,
  failed,
}: {
  text: string;
  label: string;
  done: string;
  failed: string;
}) {
  const [status, setStatus] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        className="mfa-button"
        onClick={async () => setStatus((await copyText(text)) ? done : failed)}
      >
        {label}
      </button>
      <span role="status">{status}</span>
    </>
  );
}
