import { render, screen } from "@testing-library/react";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeQrSvg } from "../test/decodeQr";
import { QrCode } from "./QrCode";

describe("QrCode", () => {
  it("draws a 300 px labelled image whose modules decode back to the text", () => {
    const uri = "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";
    render(<QrCode value={uri} label="Scan me" />);
    const svg = screen.getByRole("img", { name: "Scan me" });
    expect(svg).toHaveAttribute("width", "300");
    expect(svg).toHaveAttribute("height", "300");
    expect(decodeQrSvg(svg)).toBe(uri);
  });

  it("decodes to the same text for any otpauth-like URI", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z2-7]{16,64}$/),
        fc.stringMatching(/^[a-z0-9.]{1,20}$/),
        (secret, account) => {
          const uri = `otpauth://totp/mfa-kit:${account}?secret=${secret}&issuer=mfa-kit`;
          const { container, unmount } = render(<QrCode value={uri} />);
          const decoded = decodeQrSvg(container.querySelector("svg")!);
          unmount();
          return decoded === uri;
        },
      ),
      { numRuns: 15 },
    );
  });
});
