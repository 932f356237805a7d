/**
 * The qualification as a vitest suite, the same for both modes of the Resource Server: start the local network,
 * load the fixtures where the mode wants that, run every XIS-side Cert script with real tokens, gate each report
 * (no failure but the listed contradictions) and write the whole report to test-results/qualification-<mode>.txt.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNetwork, type LocalNetwork } from "../../scripts/local-network.mjs";
import { formatReport, formatSummary, type ScriptReport } from "../testscript/index.mjs";
import { gate, hasFailures, runXisScript, xisScripts } from "./harness.ts";

export interface QualificationSuite {
  readonly mode: "store" | "upstream";
  readonly title: string;
  readonly network: Parameters<typeof startNetwork>[0];
  /** The provider's system loading the fixtures (store mode: the operator interface). */
  readonly load?: { readonly title: string; readonly run: (net: LocalNetwork) => Promise<ScriptReport[]> };
}

export function qualificationSuite(s: QualificationSuite): void {
  let net: LocalNetwork;
  const tokens = new Map<string, string>();
  const reports: ScriptReport[] = [];
  /** The failures a listed contradiction explains, per script. */
  const explained: string[] = [];

  beforeAll(async () => {
    net = await startNetwork(s.network);
  }, 120_000);
  afterAll(async () => {
    mkdirSync(new URL("../../test-results/", import.meta.url), { recursive: true });
    const why = explained.length > 0 ? `\nFailures where Nictiz's scripts contradict their own fixtures (harness.ts; not bent around):\n${explained.join("\n")}\n` : "";
    writeFileSync(new URL(`../../test-results/qualification-${s.mode}.txt`, import.meta.url), `${formatSummary(reports)}\n${why}\n${formatReport(reports)}\n`);
    await net?.dispose();
  });

  if (s.load) {
    const load = s.load;
    describe(load.title, () => {
      it("every _LoadResources script passes", async () => {
        const loads = await load.run(net);
        expect(hasFailures(loads), formatReport(loads)).toBe(false);
      });
    });
  }

  describe(s.title, () => {
    it.each(xisScripts().map((r) => [r.path.replace(/.*\/nictiz\//, ""), r] as const))("%s", async (_name, run) => {
      const report = await runXisScript(net, run, tokens);
      reports.push(report);
      const g = gate(report);
      const name = report.script.path.replace(/.*\//, "");
      explained.push(...g.explained.map((e) => `  ${name}: ${e.what}\n    because ${e.reason}`));
      expect(g.unexplained, formatReport(report)).toEqual([]);
      // A contradiction that no longer occurs is taken off the list (harness.ts), not carried along.
      expect(g.absent.map((c) => c.section)).toEqual([]);
    });
  });
}
