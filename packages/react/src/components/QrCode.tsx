import { create } from "qrcode";
import { useMemo } from "react";

/** Props of {@link QrCode}. */
export interface QrCodeProps {
  /** The text to encode (an `otpauth://` URI). */
  value: string;
  /** Width and height in CSS pixels. Defaults to 300. */
  size?: number;
  /** The accessible name of the image. Defaults to "QR code". */
  label?: string;
  /** Error correction level. Defaults to `"M"` (15 % of the code can be damaged). */
  errorCorrection?: "L" | "M" | "Q" | "H";
  /** Class of the `<svg>`. Defaults to `"mfa-qr"`. */
  className?: string;
}

/** The 4-module quiet zone readers need around the code. */
const QUIET = 4;

/** Draws dark modules as one path: each horizontal run of them is a rectangle one module high. */
function pathOf(value: string, level: QrCodeProps["errorCorrection"]): [string, number] {
  const { modules } = create(value, { errorCorrectionLevel: level });
  const n = modules.size;
  let d = "";
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (!modules.get(y, x)) continue;
      let run = 1;
      while (x + run < n && modules.get(y, x + run)) run++;
      d += `M${x + QUIET} ${y + QUIET}h${run}v1h-${run}z`;
      x += run;
    }
  }
  return [d, n + QUIET * 2];
}

/**
 * A QR code as SVG (crisp at any size, no canvas), with the 4-module quiet zone readers need,
 * dark on light whatever the theme (`--mfa-qr-dark`, `--mfa-qr-light`).
 */
export function QrCode({
  value,
  size = 300,
  label = "QR code",
  errorCorrection = "M",
  className = "mfa-qr",
}: QrCodeProps) {
  const [d, span] = useMemo(() => pathOf(value, errorCorrection), [value, errorCorrection]);
  return (
    <svg
      role="img"
      aria-label={label}
      className={className}
      width={size}
      height={size}
      viewBox={`0 0 ${span} ${span}`}
      shapeRendering="crispEdges"
    >
      <rect width={span} height={span} style={{ fill: "var(--mfa-qr-light, #fff)" }} />
      <path d={d} style={{ fill: "var(--mfa-qr-dark, #000)" }} />
    </svg>
  );
}
