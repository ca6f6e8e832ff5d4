// Text files imported as strings (`import sql from "./file.sql?raw"`): vitest reads them as they are,
// the build inlines them (tsup.config.ts).
declare module "*?raw" {
  const text: string;
  export default text;
}
