#!/usr/bin/env node
// Runs TestScripts against a FHIR server and prints the report (used by `npm run qualify`).
//
//   node test/testscript/cli.mjs --script <file or dir> --base <url> [--var name=value]... \
//     [--token-for <patient-resource-id>=<Authorization value>]... [--cert file --key file] [--ca file] \
//     [--today YYYY-MM-DD]
//
// --script may be given more than once; a directory runs every TestScript in it, by name. --cert/--key present a
// client certificate (an undici Agent), --ca trusts that CA for the server's certificate. Exit status: 0 when no
// assert failed and every operation was performed, 1 otherwise (not-evaluated asserts and warnings alone do not
// fail), 2 for a usage error.
import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatReport, formatSummary, hasFailures, listTestScripts, runTestScript } from "./index.mjs";

const USAGE = "usage: node test/testscript/cli.mjs --script <file or dir> --base <url> [--var name=value]... [--token-for id=token]... [--cert file --key file] [--ca file] [--today YYYY-MM-DD]";

/** @type {ReturnType<typeof parseArgs>["values"]} */
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      script: { type: "string", multiple: true },
      base: { type: "string" },
      var: { type: "string", multiple: true },
      "token-for": { type: "string", multiple: true },
      cert: { type: "string" },
      key: { type: "string" },
      ca: { type: "string" },
      today: { type: "string" },
    },
  }));
} catch (e) {
  usage(/** @type {Error} */ (e).message);
}
const scripts = /** @type {string[] | undefined} */ (args.script);
const base = /** @type {string | undefined} */ (args.base);
if (!scripts?.length || !base) usage("--script and --base are required");
if (Boolean(args.cert) !== Boolean(args.key)) usage("--cert and --key go together");

const paths = scripts.flatMap((p) => (statSync(p).isDirectory() ? listTestScripts(p) : [p]));
const fetch = await transport();
/** @type {import("./index.mjs").ScriptReport[]} */
const reports = [];
for (const path of paths) {
  const report = await runTestScript(path, {
    baseUrl: base,
    fetch,
    variables: pairs(/** @type {string[] | undefined} */ (args.var), "--var"),
    tokenFor: pairs(/** @type {string[] | undefined} */ (args["token-for"]), "--token-for"),
    today: /** @type {string | undefined} */ (args.today),
  });
  reports.push(report);
  process.stdout.write(`${formatReport(report)}\n`);
}
if (reports.length > 1) process.stdout.write(`${formatSummary(reports)}\n`);
process.exit(hasFailures(reports) ? 1 : 0);

/**
 * global fetch, or undici's with an Agent when a client certificate or CA is given.
 * @returns {Promise<import("./index.mjs").RunOptions["fetch"]>}
 */
async function transport() {
  if (!args.cert && !args.ca) return undefined;
  const { Agent, fetch: undiciFetch } = await import("undici");
  const connect = {
    ...(args.cert && { cert: readFileSync(/** @type {string} */ (args.cert)), key: readFileSync(/** @type {string} */ (args.key)) }),
    ...(args.ca && { ca: readFileSync(/** @type {string} */ (args.ca)) }),
  };
  const dispatcher = new Agent({ connect });
  return /** @type {import("./index.mjs").RunOptions["fetch"]} */ ((url, init) => undiciFetch(url, { ...init, dispatcher }));
}

/**
 * `name=value` arguments as an object (the value may contain `=`).
 * @param {string[] | undefined} list
 * @param {string} option
 * @returns {Record<string, string>}
 */
function pairs(list, option) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) usage(`${option} takes name=value, not ${item}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/**
 * @param {string} message
 * @returns {never}
 */
function usage(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}
