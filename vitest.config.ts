import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import type { Plugin } from "vite";
import { OUT_DIR, buildWorkers } from "./scripts/build.mjs";

// Peers that tests reach over real service bindings are bundled first (same bundler as the local network).
await buildWorkers(["digid-sim"]);
const digidSim = {
  name: "digid-sim",
  modules: true,
  scriptPath: `${OUT_DIR}/digid-sim.js`,
  compatibilityDate: "2026-04-20",
  durableObjects: { ARTIFACTS: { className: "DigidArtifacts", useSQLite: true } },
  bindings: { DO_JURISDICTION: "none" },
};

// Test fixtures (test/fixtures/**/*.xsd) are imported as text; the product's XSDs are generated modules.
const xsdAsText: Plugin = {
  name: "xsd-as-text",
  transform(code, id) {
    if (id.endsWith(".xsd")) return { code: `export default ${JSON.stringify(code)};`, map: null };
    return undefined;
  },
};

export default defineConfig({
  test: {
    // Workers log JSON lines on purpose; show them only for failing tests.
    silent: "passed-only",
    projects: [
      {
        // Pure logic (XML, XSD, lists, OAuth decisions) inside workerd, no worker under test.
        plugins: [xsdAsText, cloudflareTest({ miniflare: { compatibilityDate: "2026-04-20" } })],
        test: { name: "shared", include: ["test/shared/**/*.test.ts"] },
      },
      {
        // The FHIR room (workers/fhir: formats, structure, search, indexing) as pure logic inside workerd.
        plugins: [cloudflareTest({ miniflare: { compatibilityDate: "2026-04-20" } })],
        test: { name: "fhir", include: ["test/fhir/**/*.test.ts"] },
      },
      {
        plugins: [
          xsdAsText,
          cloudflareTest({
            wrangler: { configPath: "./workers/registratie/wrangler.toml" },
            miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token-0123456789" } },
          }),
        ],
        test: { name: "registratie", include: ["test/registratie/**/*.test.ts"] },
      },
      {
        plugins: [
          xsdAsText,
          // EMPTY_LISTS: a real KV namespace nobody writes, for "node never held a list" cases (W-2).
          // DIGID_SIM: the real DigiD simulator worker, as the authenticator's back channel.
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              kvNamespaces: ["EMPTY_LISTS"],
              serviceBindings: { DIGID_SIM: "digid-sim" },
              workers: [digidSim],
            },
          }),
        ],
        test: { name: "dvza", include: ["test/dvza/**/*.test.ts"] },
      },
      {
        plugins: [
          xsdAsText,
          // MTLS: in production an mtls_certificates binding; here any Fetcher (these tests never reach a peer).
          cloudflareTest({ wrangler: { configPath: "./workers/dvp/wrangler.toml" }, miniflare: { kvNamespaces: ["EMPTY_LISTS"], serviceBindings: { MTLS: "digid-sim" }, workers: [digidSim] } }),
        ],
        test: { name: "dvp", include: ["test/dvp/**/*.test.ts"] },
      },
      {
        // The whole local network (Miniflare, as `npm run simulate`) over loopback HTTP.
        plugins: [xsdAsText],
        test: { name: "e2e", environment: "node", include: ["test/e2e/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 120_000 },
      },
      {
        // The same run in a real headless Chromium (scripts/ensure-debian.sh installs Debian's).
        plugins: [xsdAsText],
        test: { name: "browser", environment: "node", include: ["test/browser/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
      },
      {
        // The TestScript engine's own tests (Node: it is the test tool, not the product).
        test: { name: "testscript", environment: "node", include: ["test/testscript/**/*.test.ts"] },
      },
      {
        // Nictiz's MedMij qualification TestScripts against the local network, store and upstream mode (SPEC G-6).
        plugins: [xsdAsText],
        test: { name: "qualify", environment: "node", include: ["test/qualify/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 300_000 },
      },
      {
        // Differential check of our XSD validator against libxml2 (Node only: libxml2-wasm is the oracle,
        // not a runtime dependency).
        plugins: [xsdAsText],
        test: { name: "oracle", environment: "node", include: ["test/oracle/**/*.test.ts"] },
      },
    ],
  },
});
