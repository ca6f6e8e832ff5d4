/**
 * The elements of an HTTP list (RFC 9110 §5.6.1) or Structured Field, split on `separator` outside
 * quoted strings, trimmed, empty elements dropped; `[]` for anything but a string. An unterminated
 * quoted string runs to the end.
 */
export function splitList(value: unknown, separator = ","): string[] {
  const parts =
    typeof value === "string"
      ? value.match(RegExp(`(?:"(?:\\\\[\\s\\S]|[^"\\\\]+)*"?|[^"${separator}]+)+`, "g"))
      : null;
  return (parts ?? []).map((part) => part.trim()).filter(Boolean);
}
