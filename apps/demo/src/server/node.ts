import { parseArgs } from "node:util";
import { startDemoServer } from "./startDemoServer";

// `npm run serve -w apps/demo [-- --port 8080]`: the reference API on a real Node HTTP server.
const { values } = parseArgs({
  options: { port: { type: "string", short: "p" }, host: { type: "string" } },
});
const port = Number(values.port ?? process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`Invalid port ${JSON.stringify(values.port ?? process.env.PORT)}: use 0 to 65535.`);
  process.exit(1);
}

const server = await startDemoServer({ port, host: values.host ?? "127.0.0.1" });
console.log(`mfa-kit demo API listening on ${server.url}`);
console.log(`PORT=${server.port}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close().then(() => process.exit(0));
  });
}
