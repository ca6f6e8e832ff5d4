import axe from "axe-core";

/**
 * The serious and critical axe-core violations inside `element`, as "rule: target" lines. Colour
 * contrast is left to the browser tests: jsdom computes no styles.
 */
export async function seriousViolations(element: Element): Promise<string[]> {
  const result = await axe.run(element, {
    resultTypes: ["violations"],
    rules: { "color-contrast": { enabled: false } },
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}
