// Server mode: running a PHR-side TestScript (origin 1 = the PGO, the system under test; destination 1 = the test
// system's FHIR server, server.mjs). The PGO makes its requests against the double while a recorder keeps every
// request and its response; the script is then evaluated against the recording: each scripted operation is
// matched to a recorded request, its request asserts are evaluated on what the PGO sent, its response asserts on
// what the PGO received. The asserts are the client mode's (asserts.mjs), the run order and its rules
// (stopTestOnFail, skipping) are the client mode's (engine.mjs's Run), and so is the report.
//
// Matching a scripted operation to a recorded request (each recorded request serves at most one operation of a
// script; operations are matched in script order):
// - Method: the operation type's (search and read GET, batch and transaction POST). A search also matches
//   `POST [type]/_search` with a form body, its parameters the query's and the body's together.
// - Path, below the base URL, percent-decoded: `[resource]` plus what `params` puts before its `?`
//   (`Observation/$lastn`, `Binary/pdfa-binary1`), `url` when the operation gives one, the base itself for
//   batch and transaction. A request outside the base URL matches nothing.
// - Parameters: the same multiset of (name, value) pairs, whatever their order, each percent-decoded (`+` is a
//   plus, RFC 3986), a comma-separated OR list compared as a set (`code=a,b` = `code=b,a`); `_format` and
//   `_pretty` are left out on both sides. Nothing else is lenient: `date=ge2024-05-01` does not match
//   `date=ge2024-05-01T00:00:00Z`. An operation without a match reports the nearest requests the PGO did send
//   to that path, with the parameters that differ.
// - A parameter the operation's own request asserts forbid (`requestURL` notContains `patient=`, `subject=`) is
//   left out of the comparison on both sides, so that a request that differs only by it matches and the assert
//   judges it.
// - Authorization: among the requests that match, one with the expected Authorization (Nictiz's token for the
//   patient, replaced by the caller's through `tokenFor`, as client mode sends it) is preferred; without one,
//   a request with another token still matches, and the Authorization assert fails on it.
// - An operation with a body (batch, transaction, create, update): among the requests that match, the one on
//   which most of the operation's request asserts pass (the first on a tie), so that three batches the PGO
//   sends for the same patient are told apart by their content.
// A scripted operation without a match fails ("the PGO did not send this request") and so does every assert
// after it up to the next operation. Requests no operation matched are listed in the report (`unexpected`),
// those made with a token the script expects and those with a token nobody was given (or none); requests with
// other patients' tokens belong to other scripts and are left out. An unexpected request fails nothing.
import { evaluateAssert } from "./asserts.mjs";
import { Run, fhirFormat, isText, loadQualificationTokens, parseBody, runSections } from "./engine.mjs";
import { OPERATION_METHODS, loadTestScript } from "./load.mjs";
import { queryPairs } from "./server.mjs";

/** @typedef {import("./index.mjs").TestScript} TestScript */
/** @typedef {import("./index.mjs").Operation} Operation */
/** @typedef {import("./index.mjs").Assert} Assert */
/** @typedef {import("./index.mjs").Message} Message */
/** @typedef {import("./index.mjs").RecordedExchange} RecordedExchange */
/** @typedef {import("./index.mjs").PhrOptions} PhrOptions */
/** @typedef {import("./index.mjs").ScriptReport} ScriptReport */
/** @typedef {import("./index.mjs").ActionReport} ActionReport */

const WITH_BODY = new Set(["create", "update", "transaction", "batch"]);
const PRESENTATION = new Set(["_format", "_pretty"]);
const OPERATION_FAILED = "the operation before it failed: ";
const NOT_SENT = "the PGO did not send this request";

/**
 * A wrapper around a handler that records every request and its response.
 * @param {(request: Request) => Promise<Response>} handler
 */
export function recordExchanges(handler) {
  /** @type {RecordedExchange[]} */
  const exchanges = [];
  return {
    exchanges,
    /** @param {Request} request */
    async handle(request) {
      const started = performance.now();
      const seen = await requestMessage(request.clone());
      const response = await handler(request);
      exchanges.push({ request: seen, response: await responseMessage(response.clone()), ms: Math.round(performance.now() - started) });
      return response;
    },
    clear() {
      exchanges.length = 0;
    },
  };
}

/**
 * @param {Request} request
 * @returns {Promise<Message>}
 */
export async function requestMessage(request) {
  /** @type {Record<string, string>} */
  const headers = {};
  request.headers.forEach((value, name) => void (headers[name.toLowerCase()] = value));
  /** @type {Message} */
  const message = { method: request.method, url: request.url, headers };
  if (request.method !== "GET" && request.method !== "HEAD") {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.length > 0) {
      const contentType = headers["content-type"];
      const text = isText(contentType) || /x-www-form-urlencoded/i.test(contentType ?? "") ? new TextDecoder().decode(bytes) : undefined;
      const format = fhirFormat(contentType) ?? (contentType === undefined && text?.trimStart().startsWith("<") ? "xml" : contentType === undefined ? "json" : undefined);
      Object.assign(message, { body: text, bodySize: bytes.length }, format && text !== undefined ? parseBody(text, format) : { resourceError: `the body is not FHIR (Content-Type ${contentType ?? "none"})` });
    }
  }
  return message;
}

/**
 * @param {Response} response
 * @returns {Promise<Message>}
 */
export async function responseMessage(response) {
  const bytes = new Uint8Array(await response.arrayBuffer());
  /** @type {Record<string, string>} */
  const headers = {};
  response.headers.forEach((value, name) => void (headers[name.toLowerCase()] = value));
  const format = fhirFormat(headers["content-type"]);
  const text = isText(headers["content-type"]) ? new TextDecoder().decode(bytes) : undefined;
  return {
    status: response.status, headers, body: text, bodySize: bytes.length,
    ...(format && text !== undefined ? parseBody(text, format) : { resourceError: `the response is not FHIR (Content-Type ${headers["content-type"] ?? "none"})` }),
  };
}

/**
 * Evaluates a PHR-side script against recorded exchanges.
 * @param {TestScript | string} scriptOrPath
 * @param {readonly RecordedExchange[]} exchanges
 * @param {PhrOptions} options
 * @returns {Promise<ScriptReport>}
 */
export async function evaluatePhrScript(scriptOrPath, exchanges, options) {
  const script = typeof scriptOrPath === "string" ? loadTestScript(scriptOrPath) : scriptOrPath;
  const run = new PhrRun(script, options, exchanges);
  const report = await runSections(run);
  return { ...report, mode: "server", recorded: exchanges.length, unexpected: run.unexpected() };
}

/**
 * Records what the PGO does in `drive` against `server`, then evaluates the script on it.
 * @param {TestScript | string} scriptOrPath
 * @param {PhrOptions & { server: ((request: Request) => Promise<Response>) & { baseUrl?: string }, drive: (handler: (request: Request) => Promise<Response>, script: TestScript) => Promise<void> }} options
 * @returns {Promise<ScriptReport>}
 */
export async function runPhrScript(scriptOrPath, options) {
  const script = typeof scriptOrPath === "string" ? loadTestScript(scriptOrPath) : scriptOrPath;
  const { server, drive, ...rest } = options;
  const recorder = recordExchanges(server);
  await drive(recorder.handle, script);
  const baseUrl = rest.baseUrl ?? server.baseUrl;
  if (baseUrl === undefined) throw new Error("runPhrScript: no baseUrl, and the server has none");
  return evaluatePhrScript(script, recorder.exchanges, { ...rest, baseUrl });
}

/**
 * @typedef {object} Expected
 * @property {string} method
 * @property {string} path below the base, decoded, no leading or trailing slash
 * @property {string[]} params normalised `name=value`, sorted
 * @property {string | undefined} authorization
 * @property {string} target the path and query as the script gives them
 * @property {string} text for messages
 * @property {boolean} search
 * @property {Set<string>} forbidden parameter names the operation's request asserts forbid
 */

class PhrRun extends Run {
  /**
   * @param {TestScript} script
   * @param {PhrOptions} options
   * @param {readonly RecordedExchange[]} exchanges
   */
  constructor(script, options, exchanges) {
    super(script, { ...options, fetch: () => Promise.reject(new Error("server mode sends nothing")) });
    this.exchanges = exchanges;
    /** @type {Set<RecordedExchange>} */
    this.consumed = new Set();
    /** @type {Set<string>} the Authorization values the script's operations expect */
    this.expectedTokens = new Set();
    /** @type {Set<string>} every Authorization value someone was given: the caller's and Nictiz's */
    this.knownTokens = new Set([...this.tokens.keys(), ...this.tokens.values()]);
    for (const q of options.qualificationTokens ?? loadQualificationTokens()) this.knownTokens.add(q.accessToken);
    /** @type {Map<Operation, Assert[]>} each operation's request asserts */
    this.requestAsserts = new Map();
    for (const actions of [script.setup, ...script.tests.map((t) => t.actions), script.teardown]) {
      /** @type {Operation | undefined} */
      let op;
      for (const action of actions) {
        if (action.kind === "operation") this.requestAsserts.set((op = action.operation), []);
        else if (op && action.assert.direction === "request" && action.unsupported.length === 0) this.requestAsserts.get(op)?.push(action.assert);
      }
    }
  }

  /**
   * Finds the PGO's request for a scripted operation (see the file comment).
   * @override
   * @param {Operation} op
   * @param {string} where
   * @returns {Promise<{ report: ActionReport, exchange?: RecordedExchange }>}
   */
  async perform(op, where) {
    const description = this.redact(op.description ?? op.label ?? op.type);
    /** @type {Expected} */
    let expected;
    try {
      expected = this.expectation(op);
    } catch (e) {
      return { report: { kind: "operation", where, description, outcome: "failed", message: this.redact(`the expected request cannot be worked out: ${/** @type {Error} */ (e).message}`) } };
    }
    if (expected.authorization !== undefined) this.expectedTokens.add(expected.authorization);
    const matching = this.exchanges.filter((x) => !this.consumed.has(x) && this.sameRequest(expected, x));
    const withToken = matching.filter((x) => expected.authorization === undefined || x.request.headers.authorization === expected.authorization);
    const exchange = this.choose(op, withToken.length > 0 ? withToken : matching);
    if (!exchange) {
      return {
        report: {
          kind: "operation", where, description, outcome: "failed", method: expected.method, url: this.redact(`${this.base}/${expected.target}`),
          message: this.redact(`${NOT_SENT} (${expected.text})${this.nearest(expected)}`),
        },
      };
    }
    this.consumed.add(exchange);
    if (op.responseId !== undefined) this.responses.set(op.responseId, exchange);
    const otherToken = withToken.length === 0 && expected.authorization !== undefined;
    return {
      report: {
        kind: "operation", where, description, outcome: "passed", method: exchange.request.method, url: this.redact(exchange.request.url ?? ""),
        ...(exchange.response?.status !== undefined && { status: exchange.response.status }), ...(exchange.ms !== undefined && { ms: exchange.ms }),
        ...(otherToken && { message: "matched by method, path and parameters; the PGO sent it with another Authorization" }),
      },
      exchange,
    };
  }

  /**
   * @override
   * @param {import("./index.mjs").Action} action
   * @param {string} reason
   * @returns {ActionReport}
   */
  withoutExchange(action, reason) {
    if (!reason.startsWith(OPERATION_FAILED)) return super.withoutExchange(action, reason);
    const why = reason.slice(OPERATION_FAILED.length);
    const report = this.notEvaluated(action, why.startsWith(NOT_SENT) ? NOT_SENT : why);
    return { ...report, outcome: "failed" };
  }

  /**
   * An Authorization assert expects the caller's token where the script names Nictiz's.
   * @override
   * @param {Assert} assert
   * @returns {Assert}
   */
  prepareAssert(assert) {
    if (assert.headerField?.toLowerCase() !== "authorization" || assert.value === undefined) return assert;
    const value = this.scope.substitute(assert.value);
    return { ...assert, value: this.tokens.get(value) ?? value };
  }

  /**
   * The request a conforming PGO sends for `op`.
   * @param {Operation} op
   * @returns {Expected}
   */
  expectation(op) {
    const method = OPERATION_METHODS[op.type];
    if (method === undefined) throw new Error(`operation type ${op.type}`);
    let target;
    if (op.url !== undefined) {
      const u = this.scope.substitute(op.url);
      target = u.startsWith(`${this.base}/`) ? u.slice(this.base.length + 1) : u;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) throw new Error(`the url ${u} is not under the base ${this.base}`);
    } else if (op.type === "transaction" || op.type === "batch") {
      target = "";
    } else {
      if (op.resource === undefined) throw new Error(`${op.type} needs a resource or a url`);
      const params = op.params === undefined ? "" : this.scope.substitute(op.params);
      target = `${op.resource}${params === "" || /^[?/]/.test(params) ? params : `/${params}`}`;
    }
    const at = target.indexOf("?");
    const path = normalPath(at < 0 ? target : target.slice(0, at));
    const pairs = queryPairs(at < 0 ? "" : target.slice(at));
    /** @type {Set<string>} */
    const forbidden = new Set();
    for (const a of this.requestAsserts.get(op) ?? []) {
      const name = a.requestURL !== undefined && a.operator === "notContains" ? /^([A-Za-z_][A-Za-z0-9_:.-]*)=$/.exec(this.scope.substitute(a.requestURL))?.[1] : undefined;
      if (name !== undefined) forbidden.add(name);
    }
    const header = op.requestHeaders.find((h) => h.field.toLowerCase() === "authorization");
    const authorization = header === undefined ? undefined : ((v) => this.tokens.get(v) ?? v)(this.scope.substitute(header.value));
    const shown = target.replace(/^\/+/, "");
    const params = normalParams(pairs.filter(([name]) => !forbidden.has(name)));
    return { method, path, params, authorization, target: shown, text: `${method} ${shown}`.trim(), search: op.type === "search", forbidden };
  }

  /**
   * Method, path and parameters of a recorded request, as `Expected` has them; undefined outside the base.
   * @param {RecordedExchange} x
   * @param {Set<string>} [forbidden] parameter names left out
   * @returns {{ method: string, path: string, params: string[] } | undefined}
   */
  seen(x, forbidden = new Set()) {
    const url = x.request.url ?? "";
    const base = new URL(`${this.base}/`);
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const basePath = base.pathname.replace(/\/+$/, "");
    if (parsed.origin !== base.origin || !(parsed.pathname === basePath || parsed.pathname.startsWith(`${basePath}/`))) return undefined;
    const pairs = queryPairs(parsed.search);
    let path = normalPath(parsed.pathname.slice(basePath.length));
    let method = x.request.method ?? "GET";
    if (method === "POST" && path.endsWith("/_search")) {
      path = path.slice(0, -"/_search".length);
      method = "GET";
      if (/x-www-form-urlencoded/i.test(x.request.headers["content-type"] ?? "")) pairs.push(...new URLSearchParams(x.request.body ?? ""));
    }
    return { method, path, params: normalParams(pairs.filter(([name]) => !forbidden.has(name))) };
  }

  /**
   * @param {Expected} expected
   * @param {RecordedExchange} x
   */
  sameRequest(expected, x) {
    const seen = this.seen(x, expected.forbidden);
    if (!seen) return false;
    const postedSearch = x.request.method === "POST" && seen.method === "GET";
    if (postedSearch && !expected.search) return false;
    return seen.method === expected.method && seen.path === expected.path && seen.params.join("&") === expected.params.join("&");
  }

  /**
   * @param {Operation} op
   * @param {RecordedExchange[]} candidates
   */
  choose(op, candidates) {
    if (candidates.length <= 1 || !WITH_BODY.has(op.type)) return candidates[0];
    const asserts = this.requestAsserts.get(op) ?? [];
    let best = candidates[0];
    let bestScore = -1;
    for (const x of candidates) {
      const score = asserts.filter((a) => evaluateAssert(this.prepareAssert(a), this.context(x)).outcome === "passed").length;
      if (score > bestScore) [best, bestScore] = [x, score];
    }
    return best;
  }

  /**
   * The requests the PGO did send to the expected path, with the parameters that differ.
   * @param {Expected} expected
   */
  nearest(expected) {
    const near = this.exchanges.filter((x) => !this.consumed.has(x)).map((x) => ({ x, seen: this.seen(x, expected.forbidden) }))
      .filter(({ seen }) => seen && seen.method === expected.method && seen.path === expected.path).slice(0, 3);
    if (near.length === 0) return "; it sent nothing else to that path";
    return `; it did send ${near.map(({ x, seen }) => {
      const have = /** @type {string[]} */ (seen?.params);
      const missing = expected.params.filter((p) => !have.includes(p));
      const extra = have.filter((p) => !expected.params.includes(p));
      const token = expected.authorization !== undefined && x.request.headers.authorization !== expected.authorization ? ", another Authorization" : "";
      return `${x.request.method} ${x.request.url}${missing.length || extra.length || token ? ` (${[missing.length ? `without ${missing.join(", ")}` : "", extra.length ? `with ${extra.join(", ")}` : ""].filter(Boolean).join("; ")}${token})` : ""}`;
    }).join("; ")}`;
  }

  /**
   * The recorded requests no operation matched that concern this script (see the file comment).
   * @returns {import("./index.mjs").UnexpectedRequest[]}
   */
  unexpected() {
    return this.exchanges.filter((x) => !this.consumed.has(x)).filter((x) => {
      const auth = x.request.headers.authorization;
      return auth === undefined || this.expectedTokens.has(auth) || !this.knownTokens.has(auth);
    }).map((x) => {
      const auth = x.request.headers.authorization;
      return {
        method: x.request.method ?? "GET", url: this.redact(x.request.url ?? ""), ...(x.response?.status !== undefined && { status: x.response.status }),
        why: /** @type {import("./index.mjs").UnexpectedRequest["why"]} */ (auth === undefined ? "no Authorization" : this.expectedTokens.has(auth) ? "no operation of this script expects it" : "a token nobody was given"),
      };
    });
  }
}

/** @param {string} path */
function normalPath(path) {
  return path.split("/").filter((s) => s !== "").map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  }).join("/");
}

/**
 * @param {[string, string][]} pairs
 * @returns {string[]}
 */
function normalParams(pairs) {
  return pairs.filter(([name]) => !PRESENTATION.has(name))
    .map(([name, value]) => `${name}=${value.includes(",") ? value.split(",").sort().join(",") : value}`).sort();
}
