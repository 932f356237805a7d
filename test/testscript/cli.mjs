#!/usr/bin/env node
// Runs TestScripts against a FHIR server and prints the report (`npm run qualify -- --base ...` runs this).
//
//   node test/testscript/cli.mjs (--script <file or dir> | --standard <name> [--role <dir>]) --base <url>
//     [--only <text>] [--var name=value]... [--token-for <patient-resource-id>=<Authorization value>]...
//     [--tokens <file.json>] [--header name=value]... [--cert file --key file] [--ca file] [--today YYYY-MM-DD]
//
// --script may be given more than once; a directory runs every TestScript in it, by name. --standard names one
// of the vendored Nictiz standards (test/fixtures/nictiz/<name>): its provider-side Cert scripts (XIS-Server,
// Serving-XIS, Receiving-XIS; --role picks one), --only keeps the scripts whose file name contains the text.
// Tokens: --tokens reads {"<patient resource id>": "<access token>"} from a file, and the environment's
// QUALIFY_TOKEN is the token of every qualification patient not otherwise given (tokens stay out of `ps` and
// shell history that way). --header adds a request header to every request. --cert/--key present a client certificate (an undici Agent), --ca trusts that CA for
// the server's certificate. Exit status: 0 when no assert failed and every operation was performed, 1
// otherwise (not-evaluated asserts and warnings alone do not fail), 2 for a usage error.
import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { formatReport, formatSummary, hasFailures, listCertScripts, listTestScripts, loadQualificationTokens, runTestScript } from "./index.mjs";

const USAGE =
  "usage: node test/testscript/cli.mjs (--script <file or dir> | --standard <name> [--role <dir>]) --base <url> [--only <text>] [--var name=value]... [--token-for id=token]... [--tokens file.json] [--header name=value]... [--cert file --key file] [--ca file] [--today YYYY-MM-DD]";
const NICTIZ = new URL("../fixtures/nictiz/", import.meta.url).pathname;
/** The provider's side of a standard's Cert material (Nictiz names it by role). */
const PROVIDER_ROLES = ["XIS-Server", "Serving-XIS", "Receiving-XIS"];

/** @type {ReturnType<typeof parseArgs>["values"]} */
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      script: { type: "string", multiple: true },
      standard: { type: "string", multiple: true },
      role: { type: "string" },
      only: { type: "string" },
      tokens: { type: "string" },
      header: { type: "string", multiple: true },
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
const scripts = /** @type {string[] | undefined} */ (args.script) ?? [];
const standards = /** @type {string[] | undefined} */ (args.standard) ?? [];
const base = /** @type {string | undefined} */ (args.base);
if ((!scripts.length && !standards.length) || !base) usage("--base and --script or --standard are required");
if (Boolean(args.cert) !== Boolean(args.key)) usage("--cert and --key go together");
for (const s of standards) if (!/^[A-Za-z0-9-]+$/.test(s) || !existsSync(`${NICTIZ}${s}`)) usage(`no vendored standard ${s}`);

const only = /** @type {string | undefined} */ (args.only);
const paths = [
  ...scripts.flatMap((p) => (statSync(p).isDirectory() ? listTestScripts(p) : [p])),
  ...standards.flatMap((s) => (args.role ? [String(args.role)] : PROVIDER_ROLES.filter((r) => existsSync(`${NICTIZ}${s}/MedMij/Cert/${r}`))).flatMap((r) => listCertScripts(`${NICTIZ}${s}`, r))),
].filter((p) => !only || p.slice(p.lastIndexOf("/") + 1).includes(only));
if (paths.length === 0) usage("no script matches");
const tokenFor = { ...defaultTokens(), ...(args.tokens ? tokenFile(String(args.tokens)) : {}), ...pairs(/** @type {string[] | undefined} */ (args["token-for"]), "--token-for") };
const fetch = await transport();
/** @type {import("./index.mjs").ScriptReport[]} */
const reports = [];
for (const path of paths) {
  const report = await runTestScript(path, {
    baseUrl: base,
    fetch,
    variables: pairs(/** @type {string[] | undefined} */ (args.var), "--var"),
    tokenFor,
    today: /** @type {string | undefined} */ (args.today),
  });
  reports.push(report);
  process.stdout.write(`${formatReport(report)}\n`);
}
if (reports.length > 1) process.stdout.write(`${formatSummary(reports)}\n`);
process.exit(hasFailures(reports) ? 1 : 0);

/**
 * undici's fetch with an Agent: a client certificate and CA when given, and every *.localhost name on loopback as
 * browsers resolve them (RFC 6761; the local network's hostnames).
 * @returns {Promise<import("./index.mjs").RunOptions["fetch"]>}
 */
async function transport() {
  const { Agent, fetch: undiciFetch } = await import("undici");
  const { lookup } = await import("node:dns");
  const connect = {
    ...(args.cert && { cert: readFileSync(/** @type {string} */ (args.cert)), key: readFileSync(/** @type {string} */ (args.key)) }),
    ...(args.ca && { ca: readFileSync(/** @type {string} */ (args.ca)) }),
    /** @type {import("node:net").LookupFunction} */
    lookup: (name, options, cb) => (name === "localhost" || name.endsWith(".localhost") ? (options?.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)) : lookup(name, options, cb)),
  };
  const dispatcher = new Agent({ connect });
  const extra = pairs(/** @type {string[] | undefined} */ (args.header), "--header");
  return /** @type {import("./index.mjs").RunOptions["fetch"]} */ ((url, init) => undiciFetch(url, { ...init, headers: { ...init.headers, ...extra }, dispatcher }));
}

/** QUALIFY_TOKEN for every qualification patient (as an Authorization value). */
function defaultTokens() {
  const t = process.env.QUALIFY_TOKEN;
  return t ? Object.fromEntries(loadQualificationTokens().map((p) => [p.resourceId, bearer(t)])) : {};
}

/**
 * {"<patient resource id>": "<token>"} from a file.
 * @param {string} path
 * @returns {Record<string, string>}
 */
function tokenFile(path) {
  /** @type {unknown} */
  let json;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    usage(`--tokens ${path}: ${/** @type {Error} */ (e).message}`);
  }
  if (!json || typeof json !== "object" || Object.values(json).some((v) => typeof v !== "string")) usage(`--tokens ${path}: not an object of strings`);
  const known = new Set(loadQualificationTokens().map((p) => p.resourceId));
  const unknown = Object.keys(/** @type {object} */ (json)).filter((id) => !known.has(id));
  if (unknown.length > 0) usage(`--tokens ${path}: not qualification patients: ${unknown.join(", ")}`);
  return Object.fromEntries(Object.entries(/** @type {Record<string, string>} */ (json)).map(([id, t]) => [id, bearer(t)]));
}

/** @param {string} t */
function bearer(t) {
  return /^Bearer /i.test(t) ? t : `Bearer ${t}`;
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
