#!/usr/bin/env node
// `npm run qualify`: Nictiz's MedMij qualification (SPEC G-6), the vendored Cert scripts of the four standards.
//
//   npm run qualify                          the local network, store and upstream mode (as `npm test` runs them)
//   npm run qualify -- --mode store          one mode
//   QUALIFY_TOKEN=... npm run qualify -- --base https://dvza.example.nl/48/fhir --standard BgZ-3-0 \
//     [--role XIS-Server] [--only json] [--tokens tokens.json] [--cert pgo.crt --key pgo.key] [--ca ca.crt]
//                                            a deployment: a DVZA checks itself before Nictiz does
//
// Against a deployment the data must be loaded first (`npm run load:nictiz -- --base <operator feed>` in store
// mode) and tokens obtained the way a PGO obtains them (see the README). Prints per script and test what passed,
// failed or was not evaluated (and why); exits 1 on any failure.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const argv = process.argv.slice(2);
if (argv.includes("--base")) {
  await import("../test/testscript/cli.mjs");
} else {
  const at = argv.indexOf("--mode");
  const mode = at >= 0 ? argv[at + 1] : undefined;
  if (at >= 0 && mode !== "store" && mode !== "upstream") {
    console.error("usage: npm run qualify [-- --mode store|upstream] | npm run qualify -- --base <url> --standard <name> ... (test/testscript/cli.mjs)");
    process.exit(2);
  }
  const modes = mode ? [mode] : ["store", "upstream"];
  const root = fileURLToPath(new URL("..", import.meta.url));
  const run = spawnSync("npx", ["vitest", "run", "--project", "qualify", ...modes.map((m) => `test/qualify/${m}.test.ts`)], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  for (const m of modes) {
    try {
      process.stdout.write(`\n==== ${m} mode ====\n${readFileSync(`${root}test-results/qualification-${m}.txt`, "utf8")}`);
    } catch {
      process.stdout.write(`\n==== ${m} mode: no report (the run did not get that far) ====\n`);
    }
  }
  process.exit(run.status ?? 1);
}
