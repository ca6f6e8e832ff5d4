import { type RefObject, useEffect, useRef, useState } from "react";

const FOCUSABLE =
  'a[href],button:not([disabled]),input:not([disabled]),select:not([disabled]),textarea:not([disabled]),[tabindex]:not([tabindex="-1"])';

/**
 * Modal focus for the element in `ref` while mounted: remembers what had focus and gives it back
 * on unmount, keeps Tab and Shift+Tab inside, pulls focus back if it escapes, and calls `onEscape`
 * on Escape. Listens on the document so it works even while the focused control is disabled.
 */
export function useModalFocus(ref: RefObject<HTMLElement | null>, onEscape: () => void): void {
  const escapeRef = useRef(onEscape);
  escapeRef.current = onEscape;
  // Read during the first render, before an autoFocus inside the dialog moves focus.
  const [previous] = useState(() => document.activeElement as HTMLElement | null);
  useEffect(() => {
    const inside = (node: unknown) => node instanceof Node && !!ref.current?.contains(node);
    const focusables = () =>
      Array.from(ref.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? []).filter(
        (el) => !el.hidden && el.getAttribute("aria-hidden") !== "true",
      );
    if (!inside(document.activeElement)) (focusables()[0] ?? ref.current)?.focus();

    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        escapeRef.current();
        return;
      }
      if (event.key !== "Tab") return;
      const list = focusables();
      const first = list[0];
      const last = list[list.length - 1];
      const active = document.activeElement;
      if (!first || !last) {
        event.preventDefault();
        ref.current?.focus();
      } else if (event.shiftKey ? active === first || !inside(active) : active === last) {
        event.preventDefault();
        (event.shiftKey ? last : first).focus();
      } else if (!inside(active)) {
        event.preventDefault();
        first.focus();
      }
    };
    const onFocusIn = (event: FocusEvent) => {
      if (!inside(event.target)) (focusables()[0] ?? ref.current)?.focus();
    };
    document.addEventListener("keydown", onKeyDown, true);
    document.addEventListener("focusin", onFocusIn);
    return () => {
      document.removeEventListener("keydown", onKeyDown, true);
      document.removeEventListener("focusin", onFocusIn);
      if (previous?.isConnected) previous.focus();
    };
  }, [ref, previous]);
}
