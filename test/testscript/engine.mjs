// Running a TestScript as its client (the XIS side of Nictiz's qualification: the engine sends the scripted
// requests to the FHIR server under test and checks its answers).
//
// The order of a run: setup, then every test, then teardown. A failure in setup (a failed assert or an operation
// that could not be performed) skips the rest of setup and every test; teardown always runs. Within a test, a
// failed assert with stopTestOnFail skips the rest of the test; a warning never does. An assert that follows an
// operation that was not performed is not evaluated (the operation's failure is what is reported).
//
// Requests:
// - `{base}/{resource}{params}` (params starting with `?` or `/` are appended, others after a `/`), or `url`
//   (absolute, or relative to the base); transaction and batch POST to the base; purge POSTs
//   `{base}/{resource}/{params}` (Interoplab's `Patient/<id>/$purge`).
// - update PUTs `{resource}{params}` (or `{resource}/{fixture id}`), create POSTs `{resource}`: the body is the
//   sourceId fixture, variables substituted (escaped for XML or JSON), in the operation's content type: the
//   fixture as it is when its format matches, converted with the XML reader when an XML fixture must go as JSON
//   (no vendored script needs JSON -> XML, so that is refused).
// - accept/contentType `json`/`xml` become application/fhir+json / application/fhir+xml; `none` or no accept
//   sends no Accept header (a `get` of a PDF then gets the raw document). Content-Type goes with a body only.
// - encodeRequestUrl (default true) percent-encodes what the URL may not carry raw: in the path everything but
//   RFC 3986 pchar, in query names and values also `&`, `=`, `+`, `#` and `|`, keeping `,` `:` `/` `$` and
//   existing %XX escapes; so `code=http://loinc.org|85354-9` reaches the server as that value.
// - Request headers are substituted; an Authorization value that is one of Nictiz's qualification tokens is
//   replaced by the caller's token for that patient (`tokenFor`, by the patient's resource id).
import { readFileSync } from "node:fs";
import { evaluateAssert, MIME_TYPES } from "./asserts.mjs";
import { parseFhirXml } from "./fhir-xml.mjs";
import { evaluateFhirPath, itemText } from "./fhirpath.mjs";
import { OPERATION_METHODS, loadTestScript } from "./load.mjs";
import { createRedactor } from "./redact.mjs";
import { createVariableScope } from "./variables.mjs";

/** @typedef {import("./index.mjs").TestScript} TestScript */
/** @typedef {import("./index.mjs").Action} Action */
/** @typedef {import("./index.mjs").Operation} Operation */
/** @typedef {import("./index.mjs").Message} Message */
/** @typedef {import("./index.mjs").Exchange} Exchange */
/** @typedef {import("./index.mjs").RunOptions} RunOptions */
/** @typedef {import("./index.mjs").ScriptReport} ScriptReport */
/** @typedef {import("./index.mjs").SectionReport} SectionReport */
/** @typedef {import("./index.mjs").ActionReport} ActionReport */
/** @typedef {import("./index.mjs").Totals} Totals */
/** @typedef {import("./index.mjs").QualificationToken} QualificationToken */

const QUALIFICATION_TOKENS = new URL("../fixtures/nictiz/QualificationTokens.json", import.meta.url);
const WITH_BODY = new Set(["create", "update", "transaction", "batch"]);
const SETUP_FAILED = "the setup failed";
const STOPPED = "an earlier assert with stopTestOnFail failed";

/**
 * Nictiz's qualification patients (resource id, token, BSN), from the vendored QualificationTokens.json.
 * @returns {QualificationToken[]}
 */
export function loadQualificationTokens() {
  qualificationTokens ??= JSON.parse(readFileSync(QUALIFICATION_TOKENS, "utf8"));
  return /** @type {QualificationToken[]} */ (qualificationTokens);
}
/** @type {QualificationToken[] | undefined} */
let qualificationTokens;

/**
 * Runs a TestScript against the FHIR server at `options.baseUrl`.
 * @param {TestScript | string} scriptOrPath a loaded script, or the path of one
 * @param {RunOptions} options
 * @returns {Promise<ScriptReport>}
 */
export async function runTestScript(scriptOrPath, options) {
  const script = typeof scriptOrPath === "string" ? loadTestScript(scriptOrPath) : scriptOrPath;
  return runSections(new Run(script, options));
}

/**
 * Setup, every test, teardown: the order of a run, in client and server mode alike.
 * @param {Run} run
 * @returns {Promise<ScriptReport>}
 */
export async function runSections(run) {
  const { script } = run;
  const started = performance.now();
  const setup = script.setup.length > 0 ? await run.section({ id: "setup", name: "setup" }, script.setup, "setup") : undefined;
  const setupFailed = setup !== undefined && (setup.totals.asserts.failed > 0 || setup.totals.operations.failed > 0);
  /** @type {SectionReport[]} */
  const tests = [];
  for (const test of script.tests) {
    tests.push(setupFailed ? run.skipped(test, test.actions, SETUP_FAILED) : await run.section(test, test.actions, "test"));
  }
  const teardown = script.teardown.length > 0 ? await run.section({ id: "teardown", name: "teardown" }, script.teardown, "teardown") : undefined;
  const sections = [...(setup ? [setup] : []), ...tests, ...(teardown ? [teardown] : [])];
  return {
    script: { id: script.id, name: script.name, title: script.title, path: script.path, role: roleOf(script) },
    unsupported: script.unsupported.map(run.redact),
    setup, tests, teardown,
    totals: sumTotals(sections.map((s) => s.totals)),
    ms: Math.round(performance.now() - started),
  };
}

/** Load scripts (`_LoadResources`) are TestScripts: this is runTestScript. */
export const runLoadScript = runTestScript;

/**
 * Did anything fail (an assert, or an operation that could not be performed)? Warnings and not-evaluated asserts
 * do not count.
 * @param {ScriptReport | ScriptReport[]} report
 */
export function hasFailures(report) {
  return (Array.isArray(report) ? report : [report]).some((r) => r.totals.asserts.failed > 0 || r.totals.operations.failed > 0);
}

/** @param {TestScript} script */
export function roleOf(script) {
  const role = /** @type {{ name?: unknown } | undefined} */ (script.properties?.role);
  return typeof role?.name === "string" ? role.name : undefined;
}

/**
 * The state of one run of one script. Server mode (phr.mjs) extends it: `perform` finds the system under test's
 * request instead of sending one, `withoutExchange` and `prepareAssert` are its hooks.
 */
export class Run {
  /**
   * @param {TestScript} script
   * @param {RunOptions} options
   */
  constructor(script, options) {
    this.script = script;
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.fetch = options.fetch ?? globalThis.fetch;
    this.onRequest = options.onRequest;
    /** @type {Map<string, Exchange>} responses by responseId */
    this.responses = new Map();
    /** @type {Map<string, Message>} fixtures, substituted and parsed once per run */
    this.fixtureMessages = new Map();
    const qualification = options.qualificationTokens ?? loadQualificationTokens();
    /** @type {Map<string, string>} Nictiz's token -> the caller's */
    this.tokens = new Map();
    for (const [resourceId, token] of Object.entries(options.tokenFor ?? {})) {
      const entry = qualification.find((q) => q.resourceId === resourceId);
      if (!entry) throw new Error(`tokenFor: ${resourceId} is not a qualification patient`);
      const earlier = this.tokens.get(entry.accessToken);
      if (earlier !== undefined && earlier !== token) throw new Error(`tokenFor: ${resourceId} shares Nictiz's token with another patient given a different token`);
      this.tokens.set(entry.accessToken, token);
    }
    this.redact = createRedactor([
      ...Object.values(options.tokenFor ?? {}),
      ...qualification.flatMap((q) => [q.accessToken, q.bsn ?? ""]),
      ...Object.entries(options.variables ?? {}).filter(([name]) => /token|secret|password/i.test(name)).map(([, v]) => v),
      ...(options.secrets ?? []),
    ]);
    this.scope = createVariableScope({
      definitions: script.variables,
      overrides: options.variables,
      today: options.today,
      evaluate: (variable) => {
        const sourceId = /** @type {string} */ (variable.sourceId);
        const source = this.source(sourceId, "response");
        if (!source) throw new Error(`variable ${variable.name}: there is no fixture or response ${sourceId} yet`);
        if (!source.resource) throw new Error(`variable ${variable.name}: ${sourceId} has no FHIR resource`);
        const expression = this.scope.substitute(/** @type {string} */ (variable.expression));
        const [first] = evaluateFhirPath(source.resource, expression);
        if (first === undefined) throw new Error(`variable ${variable.name}: ${expression} gives nothing on ${sourceId}`);
        return itemText(first);
      },
    });
  }

  /**
   * A fixture (substituted and parsed), or one side of the exchange of an earlier responseId.
   * @param {string} id
   * @param {"request" | "response"} direction
   * @returns {Message | undefined}
   */
  source(id, direction) {
    if (id in this.script.fixtures) return this.fixture(id);
    return this.responses.get(id)?.[direction];
  }

  /**
   * @param {string} id
   * @returns {Message}
   */
  fixture(id) {
    let message = this.fixtureMessages.get(id);
    if (!message) {
      const fixture = /** @type {import("./index.mjs").Fixture} */ (this.script.fixtures[id]);
      const body = this.scope.substitute(fixture.text, fixture.format === "json" ? escapeJson : escapeXml);
      message = { headers: { "content-type": MIME_TYPES[fixture.format] }, body, ...parseBody(body, fixture.format) };
      this.fixtureMessages.set(id, message);
    }
    return message;
  }

  /**
   * Runs the actions of setup, a test or teardown.
   * @param {{ id: string, name: string, description?: string }} section
   * @param {Action[]} actions
   * @param {"setup" | "test" | "teardown"} kind
   * @returns {Promise<SectionReport>}
   */
  async section(section, actions, kind) {
    /** @type {ActionReport[]} */
    const reports = [];
    /** @type {Exchange | undefined} */
    let exchange;
    /** @type {string | undefined} why the last operation has no exchange */
    let noExchange;
    /** @type {string | undefined} why the remaining actions are skipped */
    let stopped;
    for (const action of actions) {
      if (stopped !== undefined) {
        reports.push(this.notEvaluated(action, stopped));
        continue;
      }
      if (action.unsupported.length > 0) {
        reports.push(this.notEvaluated(action, `not supported by this engine: ${action.unsupported.join("; ")}`));
        if (action.kind === "operation") [exchange, noExchange] = [undefined, "the operation before it was not performed (not supported)"];
        continue;
      }
      if (action.kind === "operation") {
        const report = await this.perform(action.operation, action.where);
        reports.push(report.report);
        exchange = report.exchange;
        noExchange = report.exchange ? undefined : `the operation before it failed: ${report.report.message}`;
        if (!report.exchange && kind === "setup") stopped = SETUP_FAILED;
        continue;
      }
      const { assert } = action;
      if (noExchange !== undefined && assert.sourceId === undefined) {
        reports.push(this.withoutExchange(action, noExchange));
        continue;
      }
      const verdict = evaluateAssert(this.prepareAssert(assert), this.context(exchange));
      reports.push({
        kind: "assert", where: action.where, description: this.redact(assert.description ?? assert.label ?? ""),
        outcome: verdict.outcome,
        ...(verdict.message !== undefined && { message: this.redact(verdict.message) }),
        ...(verdict.actual !== undefined && { actual: this.redact(verdict.actual) }),
        ...(verdict.notEvaluated && { notEvaluated: verdict.notEvaluated.map(this.redact) }),
      });
      if (verdict.outcome === "failed" && (assert.stopTestOnFail || kind === "setup")) stopped = kind === "setup" ? SETUP_FAILED : STOPPED;
    }
    return { id: section.id, name: section.name, description: section.description, actions: reports, totals: countActions(reports) };
  }

  /**
   * The report of an assert whose operation has no exchange (client mode: not evaluated).
   * @param {Action} action
   * @param {string} reason
   * @returns {ActionReport}
   */
  withoutExchange(action, reason) {
    return this.notEvaluated(action, reason);
  }

  /**
   * What an assert is evaluated against: one exchange, the script's fixtures, profiles, rules and variables.
   * @param {import("./index.mjs").RecordedExchange | undefined} exchange
   * @returns {import("./index.mjs").AssertContext}
   */
  context(exchange) {
    return {
      exchange,
      source: (id, direction) => this.source(id, direction),
      profiles: this.script.profiles,
      rules: this.script.rules,
      substitute: (text) => this.scope.substitute(text),
      variable: (name) => {
        try {
          return this.scope.resolve(name);
        } catch {
          return undefined;
        }
      },
    };
  }

  /**
   * The assert as it is evaluated (client mode: as it is).
   * @param {import("./index.mjs").Assert} assert
   * @returns {import("./index.mjs").Assert}
   */
  prepareAssert(assert) {
    return assert;
  }

  /**
   * A test that is not run, every action not evaluated for `reason`.
   * @param {{ id: string, name: string, description?: string }} section
   * @param {Action[]} actions
   * @param {string} reason
   * @returns {SectionReport}
   */
  skipped(section, actions, reason) {
    const reports = actions.map((a) => this.notEvaluated(a, reason));
    return { id: section.id, name: section.name, description: section.description, actions: reports, totals: countActions(reports) };
  }

  /**
   * @param {Action} action
   * @param {string} reason
   * @returns {ActionReport}
   */
  notEvaluated(action, reason) {
    const description = action.kind === "operation" ? action.operation.description ?? action.operation.type : action.assert.description ?? action.assert.label ?? "";
    return { kind: action.kind, where: action.where, description: this.redact(description), outcome: "notEvaluated", message: this.redact(reason) };
  }

  /**
   * Builds and sends one operation's request.
   * @param {Operation} op
   * @param {string} where
   * @returns {Promise<{ report: ActionReport, exchange?: Exchange }>}
   */
  async perform(op, where) {
    const description = this.redact(op.description ?? op.label ?? op.type);
    /** @type {Message} */
    let request;
    try {
      request = this.buildRequest(op);
      await this.onRequest?.(request);
    } catch (e) {
      return { report: { kind: "operation", where, description, outcome: "failed", message: this.redact(`the request cannot be built: ${/** @type {Error} */ (e).message}`) } };
    }
    const method = /** @type {string} */ (request.method);
    const url = /** @type {string} */ (request.url);
    const started = performance.now();
    try {
      const res = await this.fetch(url, { method, headers: request.headers, body: request.body, redirect: "manual" });
      const bytes = new Uint8Array(await res.arrayBuffer());
      const ms = Math.round(performance.now() - started);
      /** @type {Record<string, string>} */
      const headers = {};
      res.headers.forEach((value, name) => void (headers[name.toLowerCase()] = value));
      const format = fhirFormat(headers["content-type"]);
      const text = isText(headers["content-type"]) ? new TextDecoder().decode(bytes) : undefined;
      /** @type {Message} */
      const response = {
        status: res.status, headers, body: text, bodySize: bytes.length,
        ...(format && text !== undefined ? parseBody(text, format) : { resourceError: `the response is not FHIR (Content-Type ${headers["content-type"] ?? "none"})` }),
      };
      const exchange = { request, response };
      if (op.responseId !== undefined) this.responses.set(op.responseId, exchange);
      return { report: { kind: "operation", where, description, outcome: "passed", method, url: this.redact(url), status: res.status, ms }, exchange };
    } catch (e) {
      const cause = /** @type {Error & { cause?: Error }} */ (e);
      const message = cause.cause ? `${cause.message}: ${cause.cause.message}` : cause.message;
      return { report: { kind: "operation", where, description, outcome: "failed", method, url: this.redact(url), message: this.redact(`no response: ${message}`) } };
    }
  }

  /**
   * @param {Operation} op
   * @returns {Message}
   */
  buildRequest(op) {
    const method = /** @type {string} */ (OPERATION_METHODS[op.type]);
    /** @type {Record<string, string>} */
    const headers = {};
    const accept = mimeType(op.accept);
    if (accept) headers.accept = accept;
    /** @type {Message} */
    const request = { method, url: this.url(op), headers };
    if (WITH_BODY.has(op.type)) {
      if (op.sourceId === undefined) throw new Error(`${op.type} needs a sourceId fixture for its body`);
      const source = this.source(op.sourceId, "response");
      if (!source) throw new Error(`there is no fixture or response ${op.sourceId}`);
      const contentType = mimeType(op.contentType) ?? source.headers["content-type"];
      request.body = bodyAs(source, contentType);
      if (contentType) headers["content-type"] = contentType;
      request.resource = source.resource;
    }
    for (const { field, value } of op.requestHeaders) {
      const v = this.scope.substitute(value);
      headers[field.toLowerCase()] = field.toLowerCase() === "authorization" ? this.tokens.get(v) ?? v : v;
    }
    return request;
  }

  /**
   * @param {Operation} op
   * @returns {string}
   */
  url(op) {
    let url;
    if (op.url !== undefined) {
      const u = this.scope.substitute(op.url);
      url = /^[a-z][a-z0-9+.-]*:/i.test(u) ? u : `${this.base}/${u.replace(/^\/+/, "")}`;
    } else if (op.type === "transaction" || op.type === "batch") {
      url = this.base;
    } else {
      if (op.resource === undefined) throw new Error(`${op.type} needs a resource or a url`);
      let params = op.params === undefined ? undefined : this.scope.substitute(op.params);
      if (params === undefined && op.type === "update" && op.sourceId !== undefined) {
        const id = this.source(op.sourceId, "response")?.resource?.id;
        if (typeof id !== "string") throw new Error(`${op.type}: no params, and fixture ${op.sourceId} has no id`);
        params = `/${id}`;
      }
      if (params === undefined && (op.type === "read" || op.type === "vread" || op.type === "delete" || op.type === "purge")) {
        throw new Error(`${op.type} needs params or a url`);
      }
      url = `${this.base}/${op.resource}${params === undefined || params === "" ? "" : /^[?/]/.test(params) ? params : `/${params}`}`;
    }
    return op.encodeRequestUrl ? encodeRequestUrl(url, this.base) : url;
  }
}

/**
 * Percent-encodes a request URL (see the file comment). The part up to the path (scheme and authority) is left
 * alone, and so is the caller's base URL.
 * @param {string} url
 * @param {string} base
 */
export function encodeRequestUrl(url, base) {
  const hashAt = url.indexOf("#");
  const withoutFragment = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const queryAt = withoutFragment.indexOf("?");
  const beforeQuery = queryAt >= 0 ? withoutFragment.slice(0, queryAt) : withoutFragment;
  const query = queryAt >= 0 ? withoutFragment.slice(queryAt + 1) : undefined;
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(beforeQuery)?.[0] ?? "";
  const keep = beforeQuery.startsWith(base) ? base : authority;
  const path = beforeQuery.slice(keep.length).split("/").map((segment) => encodePart(segment, PATH_SAFE)).join("/");
  const encodedQuery = query === undefined ? "" : `?${query.split("&").map((pair) => {
    const eq = pair.indexOf("=");
    return eq < 0 ? encodePart(pair, QUERY_SAFE) : `${encodePart(pair.slice(0, eq), QUERY_SAFE)}=${encodePart(pair.slice(eq + 1), QUERY_SAFE)}`;
  }).join("&")}`;
  return `${keep}${path}${encodedQuery}`;
}

/** Characters a path segment carries raw: RFC 3986 unreserved and pchar's sub-delims, ":" and "@". */
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;
/** Characters a query name or value carries raw: unreserved and the sub-delims without "&", "=" and "+", and ":", "@", "/", "?". */
const QUERY_SAFE = /[A-Za-z0-9\-._~!$'()*,;:@/?]/;

/**
 * @param {string} part
 * @param {RegExp} safe
 */
function encodePart(part, safe) {
  let out = "";
  for (let i = 0; i < part.length; i++) {
    const c = /** @type {string} */ (part[i]);
    if (c === "%" && /^[0-9A-Fa-f]{2}$/.test(part.slice(i + 1, i + 3))) out += c; // an existing escape
    else if (safe.test(c)) out += c;
    else {
      const code = part.codePointAt(i) ?? 0;
      const char = String.fromCodePoint(code);
      if (char.length === 2) i++;
      out += [...new TextEncoder().encode(char)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
    }
  }
  return out;
}

/**
 * @param {string | undefined} code xml, json, none or a MIME type
 * @returns {string | undefined}
 */
export function mimeType(code) {
  if (code === undefined || code === "none") return undefined;
  return code in MIME_TYPES ? MIME_TYPES[/** @type {keyof typeof MIME_TYPES} */ (code)] : code;
}

/**
 * The fixture's text in the wanted content type.
 * @param {Message} source
 * @param {string | undefined} contentType
 */
function bodyAs(source, contentType) {
  const have = fhirFormat(source.headers["content-type"]);
  const want = contentType === undefined ? have : fhirFormat(contentType);
  if (want === have) return /** @type {string} */ (source.body);
  if (want === "json" && source.resource) return JSON.stringify(source.resource);
  throw new Error(`cannot send a ${have ?? "non-FHIR"} fixture as ${contentType}`);
}

/**
 * @param {string} text
 * @param {"json" | "xml"} format
 * @returns {{ resource?: Record<string, unknown>, resourceError?: string }}
 */
export function parseBody(text, format) {
  try {
    const resource = format === "json" ? JSON.parse(text) : parseFhirXml(text);
    if (resource === null || typeof resource !== "object" || typeof resource.resourceType !== "string") return { resourceError: "the body is JSON without a resourceType" };
    return { resource };
  } catch (e) {
    return { resourceError: `the body is not FHIR ${format.toUpperCase()}: ${/** @type {Error} */ (e).message}` };
  }
}

/**
 * @param {string | undefined} contentType
 * @returns {"json" | "xml" | undefined}
 */
export function fhirFormat(contentType) {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (/^application\/(fhir\+json|json\+fhir|json)$/.test(type)) return "json";
  if (/^(application\/(fhir\+xml|xml\+fhir|xml)|text\/xml)$/.test(type)) return "xml";
  return undefined;
}

/** @param {string | undefined} contentType */
export function isText(contentType) {
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return fhirFormat(type) !== undefined || type.startsWith("text/") || type === "";
}

/** @param {string} value */
export function escapeXml(value) {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** @param {string} value */
export function escapeJson(value) {
  return JSON.stringify(value).slice(1, -1);
}

/**
 * @param {ActionReport[]} reports
 * @returns {Totals}
 */
export function countActions(reports) {
  /** @type {Totals} */
  const totals = { asserts: { passed: 0, failed: 0, warning: 0, notEvaluated: 0 }, operations: { passed: 0, failed: 0, notEvaluated: 0 } };
  for (const r of reports) {
    if (r.kind === "assert") totals.asserts[r.outcome]++;
    else totals.operations[/** @type {"passed" | "failed" | "notEvaluated"} */ (r.outcome)]++;
  }
  return totals;
}

/**
 * @param {Totals[]} all
 * @returns {Totals}
 */
export function sumTotals(all) {
  /** @type {Totals} */
  const sum = { asserts: { passed: 0, failed: 0, warning: 0, notEvaluated: 0 }, operations: { passed: 0, failed: 0, notEvaluated: 0 } };
  for (const t of all) {
    for (const k of /** @type {const} */ (["passed", "failed", "warning", "notEvaluated"])) sum.asserts[k] += t.asserts[k];
    for (const k of /** @type {const} */ (["passed", "failed", "notEvaluated"])) sum.operations[k] += t.operations[k];
  }
  return sum;
}
