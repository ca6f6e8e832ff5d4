import { useState } from "react";
import { copyText } from "../saveText";
import { button } from "./button";

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
      {button(label, async () => setStatus((await copyText(text)) ? done : failed))}
      <span role="status">{status}</span>
    </>
  );
}
