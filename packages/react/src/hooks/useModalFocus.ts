import { type RefObject, useEffect, useRef, useState } from "react";

const FOCUSABLE = "a[href],button,input,select,textarea,[tabindex]";

/**
 * Modal focus for the element in `ref` while mounted: remembers what had focus and gives it back
 * on unmount, keeps Tab and Shift+Tab inside (bringing focus back if a click moved it out), and
 * calls `onEscape` on Escape. Listens on the document, so it works even when nothing has focus.
 */
export function useModalFocus(ref: RefObject<HTMLElement | null>, onEscape: () => void): void {
  const escapeRef = useRef(onEscape);
  escapeRef.current = onEscape;
  // Read during the first render, before an autoFocus inside the dialog moves focus.
  const [previous] = useState(() => document.activeElement as HTMLElement | null);
  useEffect(() => {
    const focusables = () =>
      Array.from(ref.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? []).filter(
        (el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled,
      );
    if (!ref.current?.contains(document.activeElement)) (focusables()[0] ?? ref.current)?.focus();

    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        escapeRef.current();
      } else if (event.key === "Tab") {
        // Moves focus itself, so it also lands inside when a click had moved it out.
        event.preventDefault();
        const list = focusables();
        const n = list.length;
        const i = list.indexOf(document.activeElement as HTMLElement);
        const step = event.shiftKey ? n - 1 : 1;
        (list[i < 0 ? (event.shiftKey ? n - 1 : 0) : (i + step) % n] ?? ref.current)?.focus();
      }
    };
    document.addEventListener("keydown", onKeyDown, true);
    return () => {
      document.removeEventListener("keydown", onKeyDown, true);
      if (previous?.isConnected) previous.focus();
    };
  }, [ref, previous]);
}
