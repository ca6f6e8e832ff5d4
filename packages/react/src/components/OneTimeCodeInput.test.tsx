import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import { OneTimeCodeInput } from "./OneTimeCodeInput";

function Field({ onComplete, length }: { onComplete(code: string): void; length?: number }) {
  const [value, setValue] = useState("");
  return (
    <>
      <label htmlFor="code">Code</label>
      <OneTimeCodeInput
        id="code"
        value={value}
        onChange={setValue}
        onComplete={onComplete}
        length={length}
      />
    </>
  );
}

describe("OneTimeCodeInput", () => {
  it("keeps digits only and completes on the last one", async () => {
    const onComplete = vi.fn();
    const user = userEvent.setup();
    render(<Field onComplete={onComplete} />);
    const input = screen.getByLabelText("Code");
    await user.type(input, "12a3-45");
    expect(input).toHaveValue("12345");
    expect(onComplete).not.toHaveBeenCalled();
    await user.type(input, "67");
    expect(input).toHaveValue("123456");
    expect(onComplete).toHaveBeenCalledExactlyOnceWith("123456");
  });

  it("replaces a partial code with a pasted whole one, spaces and all", async () => {
    const onComplete = vi.fn();
    const user = userEvent.setup();
    render(<Field onComplete={onComplete} />);
    const input = screen.getByLabelText("Code");
    await user.type(input, "98");
    await user.paste(" 123 456 ");
    expect(input).toHaveValue("123456");
    expect(onComplete).toHaveBeenCalledExactlyOnceWith("123456");
  });

  it("honours another code length", async () => {
    const onComplete = vi.fn();
    const user = userEvent.setup();
    render(<Field onComplete={onComplete} length={8} />);
    await user.type(screen.getByLabelText("Code"), "123456789");
    expect(onComplete).toHaveBeenCalledExactlyOnceWith("12345678");
    expect(screen.getByLabelText("Code")).toHaveAttribute("pattern", "[0-9]{8}");
  });
});
