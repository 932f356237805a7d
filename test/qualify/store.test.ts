/**
 * SPEC G-6, X-10: Nictiz's MedMij qualification of the Resource Server in store mode. The provider's system feeds
 * the qualification fixtures through the operator interface (each standard's `_LoadResources` script), then every
 * XIS-side Cert script of the four standards runs, JSON and XML, with real tokens. The gate: no failed assert;
 * what cannot be evaluated here (Nictiz's profiles) is listed with its reason, never counted as passed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { formatReport, formatSummary, type ScriptReport } from "../testscript/index.mjs";
import { gate, hasFailures, loadIntoStore, runXisScript, xisScripts } from "./harness.ts";

let net: LocalNetwork;
const tokens = new Map<string, string>();
const reports: ScriptReport[] = [];

beforeAll(async () => {
  net = await startNetwork({ port: 0 });
}, 120_000);
afterAll(async () => {
  mkdirSync(new URL("../../test-results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("../../test-results/qualification-store.txt", import.meta.url), `${formatSummary(reports)}\n\n${formatReport(reports)}\n`);
  await net?.dispose();
});

describe("G-6 store mode: the provider's system loads Nictiz's fixtures through the operator interface (X-10)", () => {
  it("every _LoadResources script passes", async () => {
    const loads = await loadIntoStore(net);
    expect(hasFailures(loads), formatReport(loads)).toBe(false);
  });
});

describe("G-6 store mode: every XIS-side Cert script passes", () => {
  it.each(xisScripts().map((r) => [r.path.replace(/.*\/nictiz\//, ""), r] as const))("%s", async (_name, run) => {
    const report = await runXisScript(net, run, tokens);
    reports.push(report);
    const g = gate(report);
    expect(g.unexplained, formatReport(report)).toEqual([]);
    // A contradiction that no longer occurs is taken off the list (harness.ts), not carried along.
    expect(g.absent.map((c) => c.section)).toEqual([]);
  });
});
