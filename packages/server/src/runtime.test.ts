import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = dirname(fileURLToPath(import.meta.url));

// Every module reachable from `entry` through relative imports, with its import specifiers.
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, "utf8");
    const specs = [
      ...text.matchAll(/(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']/g),
      ...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g),
      ...text.matchAll(/^import\s+["']([^"']+)["']/gm),
    ].map((m) => m[1]!);
    seen.set(file, specs);
    for (const spec of specs) {
      if (spec.startsWith(".")) visit(resolve(dirname(file), `${spec}.ts`));
    }
  };
  visit(entry);
  return seen;
}

describe("the core", () => {
  it("imports nothing from node: in any module reachable from src/index.ts", () => {
    const modules = graph(join(src, "index.ts"));
    expect(modules.size).toBeGreaterThan(20);
    const offenders = [...modules].flatMap(([file, specs]) =>
      specs.filter((s) => s.startsWith("node:") || s === "crypto").map((s) => `${file}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it("uses the portable crypto by default and leaves node:crypto to the node build", () => {
    const modules = graph(join(src, "index.ts"));
    expect(modules.has(join(src, "crypto/portable.ts"))).toBe(true);
    expect(modules.has(join(src, "crypto/node.ts"))).toBe(false);
    expect(graph(join(src, "crypto/nodeDefault.ts")).get(join(src, "crypto/node.ts"))).toContain(
      "node:crypto",
    );
  });
});

describe("the package", () => {
  it("maps the `node` export condition to the node:crypto build, types shared", () => {
    const pkg = JSON.parse(readFileSync(join(src, "../package.json"), "utf8"));
    const root = pkg.exports["."];
    expect(Object.keys(root)[0]).toBe("node");
    expect(root.node.import).toEqual({
      types: "./dist/index.d.ts",
      default: "./dist/node-crypto/index.js",
    });
    expect(root.node.require).toEqual({
      types: "./dist/index.d.cts",
      default: "./dist/node-crypto/index.cjs",
    });
    expect(root.import.default).toBe("./dist/index.js");
    const tsup = readFileSync(join(src, "../tsup.config.ts"), "utf8");
    expect(tsup).toContain("nodeDefault.ts");
    expect(tsup).toContain('outDir: "dist/node-crypto"');
  });
});
