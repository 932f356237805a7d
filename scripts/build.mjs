// Bundles each worker for the local network (Miniflare) the way wrangler does for deployment:
// ESM, workerd conditions (XSDs are generated .xsd.ts modules). Output: dist/local/<name>.js
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export const ENTRIES = {
  registratie: "workers/registratie/index.ts",
  dvza: "workers/dvza/index.ts",
  dvp: "workers/dvp/index.ts",
  "digid-sim": "workers/digid-sim/index.ts",
  "local-network": "workers/local-network/index.ts",
};

export const OUT_DIR = "dist/local";

/** `extra`: entries outside the product (name -> source file), e.g. the benchmark's own worker. */
export async function buildWorkers(names = Object.keys(ENTRIES), extra = {}) {
  await build({
    entryPoints: { ...Object.fromEntries(names.filter((n) => ENTRIES[n]).map((n) => [n, ENTRIES[n]])), ...extra },
    outdir: OUT_DIR,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser", "import"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*"],
    sourcemap: "linked",
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildWorkers();
  console.log(`built ${Object.keys(ENTRIES).length} workers into ${OUT_DIR}/`);
}
