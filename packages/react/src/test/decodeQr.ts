import jsQR from "jsqr";

/**
 * Reads a QR code drawn by `<QrCode>` the way a camera would: rasterises the SVG's modules into an
 * RGBA image (`scale` pixels per module) and decodes it with jsQR. `null` when it does not decode.
 */
export function decodeQrSvg(svg: Element, scale = 4): string | null {
  const span = Number(svg.getAttribute("viewBox")?.split(" ")[2]);
  const d = svg.querySelector("path")?.getAttribute("d") ?? "";
  const size = span * scale;
  const pixels = new Uint8ClampedArray(size * size * 4).fill(255);
  for (const [, x, y, run] of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let row = Number(y) * scale; row < (Number(y) + 1) * scale; row++) {
      for (let col = Number(x) * scale; col < (Number(x) + Number(run)) * scale; col++) {
        const i = (row * size + col) * 4;
        pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
      }
    }
  }
  return jsQR(pixels, size, size)?.data ?? null;
}
