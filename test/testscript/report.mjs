// The readable text of a run: per script and per test the counts, every operation (method, URL, status, time),
// every failure and warning with its reason, and the not-evaluated asserts grouped by reason. Everything printed
// goes through the redactor once more (reports are redacted when they are made).
import { relative } from "node:path";
import { sumTotals } from "./engine.mjs";
import { redact } from "./redact.mjs";

/** @typedef {import("./index.mjs").ScriptReport} ScriptReport */
/** @typedef {import("./index.mjs").SectionReport} SectionReport */
/** @typedef {import("./index.mjs").Totals} Totals */

const DESCRIPTION = 140;

/**
 * @param {ScriptReport | ScriptReport[]} reports
 * @returns {string}
 */
export function formatReport(reports) {
  const all = Array.isArray(reports) ? reports : [reports];
  const lines = all.flatMap(scriptLines);
  if (all.length > 1) lines.push(formatSummary(all));
  return redact(lines.join("\n"));
}

/**
 * One line: the totals of several scripts.
 * @param {ScriptReport[]} reports
 */
export function formatSummary(reports) {
  return `ALL ${reports.length} scripts: ${counts(sumTotals(reports.map((r) => r.totals)))}`;
}

/** @param {ScriptReport} report */
function scriptLines(report) {
  const { script } = report;
  const lines = [
    `TestScript ${script.id}: ${script.title ?? script.name}`,
    `  ${relative(process.cwd(), script.path)}${script.role ? ` (${script.role})` : ""}, ${report.ms} ms`,
  ];
  if (report.mode === "server") lines.push(`  server mode: the system under test made the requests, ${report.recorded ?? 0} recorded`);
  if (report.unsupported.length > 0) lines.push(`  NOT SUPPORTED by this engine: ${report.unsupported.join("; ")}`);
  const sections = [...(report.setup ? [report.setup] : []), ...report.tests, ...(report.teardown ? [report.teardown] : [])];
  for (const section of sections) lines.push(...sectionLines(section));
  if (report.unexpected?.length) {
    lines.push(`  REQUESTS NO OPERATION EXPECTS (${report.unexpected.length}):`);
    for (const u of report.unexpected) lines.push(`    ${u.method} ${u.url}${u.status !== undefined ? ` -> ${u.status}` : ""} (${u.why})`);
  }
  lines.push(`  script: ${counts(report.totals)}`, "");
  return lines;
}

/** @param {SectionReport} section */
function sectionLines(section) {
  const title = section.name && section.name !== section.id ? `${section.id} (${section.name})` : section.id;
  const lines = [`  ${title}: ${counts(section.totals)}`];
  /** @type {Map<string, number>} */
  const skipped = new Map();
  /** @type {Map<string, number>} */
  const parts = new Map();
  for (const action of section.actions) {
    if (action.kind === "operation" && action.outcome !== "notEvaluated") {
      const target = `${action.method ?? ""} ${action.url ?? ""}`.trim();
      lines.push(action.outcome === "passed"
        ? `    ${target} -> ${action.status ?? "no status"}${action.ms !== undefined ? ` (${action.ms} ms)` : ""}${action.message ? `: ${action.message}` : ""}`
        : `    FAILED operation ${cut(action.description || action.where)}${target ? ` (${target})` : ""}: ${action.message}`);
    } else if (action.outcome === "failed" || action.outcome === "warning") {
      const actual = action.actual !== undefined && !(action.message ?? "").includes(action.actual) ? ` [actual: ${action.actual}]` : "";
      lines.push(`    ${action.outcome === "failed" ? "FAILED" : "WARNING"} ${cut(action.description || action.where)}: ${action.message ?? ""}${actual}`);
    } else if (action.outcome === "notEvaluated") {
      const reason = `${action.kind === "operation" ? "operation: " : ""}${action.message ?? ""}`;
      skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
    }
    if (action.kind === "assert") for (const part of action.notEvaluated ?? []) parts.set(part, (parts.get(part) ?? 0) + 1);
  }
  for (const [reason, n] of skipped) lines.push(`    NOT EVALUATED (${n}): ${reason}`);
  for (const [part, n] of parts) lines.push(`    NOT EVALUATED (part of ${n} assert${n === 1 ? "" : "s"}): ${part}`);
  return lines;
}

/** @param {Totals} t */
function counts(t) {
  const a = t.asserts;
  const o = t.operations;
  const ops = `${o.passed} operation${o.passed === 1 ? "" : "s"} performed${o.failed ? `, ${o.failed} FAILED` : ""}${o.notEvaluated ? `, ${o.notEvaluated} not performed` : ""}`;
  return `${a.passed} passed, ${a.failed} failed, ${a.warning} warning${a.warning === 1 ? "" : "s"}, ${a.notEvaluated} not evaluated; ${ops}`;
}

/** @param {string} s */
function cut(s) {
  return s.length <= DESCRIPTION ? s : `${s.slice(0, DESCRIPTION)}…`;
}
