// Evaluation of one TestScript assert against an HTTP exchange. It knows nothing of how the exchange came about,
// so the same code serves the client side (the engine sent the request, the system under test answered) and a
// server mode (the system under test sent the request; direction=request asserts check it).
//
// Semantics, where TestScript leaves room (following Touchstone where its documentation says, FHIRPath otherwise):
// - An assert checks one thing, chosen by the element it has: a Touchstone rule, validateProfileId, minimumId,
//   compareToSourceId (+ compareToSourceExpression), expression, headerField, requestURL, requestMethod, resource,
//   responseCode, response, contentType or navigationLinks. The loader refuses an assert with two of them.
// - It reads the response unless direction=request; sourceId picks a fixture, or the exchange of an earlier
//   operation's responseId, instead of the last operation's exchange. requestURL and requestMethod read the request.
// - An expression with no operator and no value (or operator eval) is a condition, evaluated as FHIRPath evaluates a
//   collection where a Boolean is expected: {true} passes, {false} fails, an empty collection fails, a single
//   non-Boolean item passes, more than one item fails (FHIRPath: an error).
// - Otherwise the expression's result (each item as a string: primitives as themselves, anything else as JSON), a
//   header's value, the request URL, the status, ... is compared to the expected value with the operator (default
//   equals; for headerField without a value, notEmpty):
//     equals      the result is exactly the one expected value (compareToSource: the same sequence of values)
//     notEquals   not equals (an empty result is not equal to anything)
//     in          the result is non-empty and every item is one of the comma-separated values
//     notIn       no item is one of the comma-separated values
//     greaterThan / lessThan   one item and one value, compared as numbers when both are, else as strings
//     empty / notEmpty         the result is empty / not empty (the value is not used)
//     contains / notContains   some item contains the value / no item contains it (substring)
// - warningOnly turns a failure into a warning. A thrown error (FHIRPath error, malformed URL in a rule) is a failure.
import { evaluateFhirPath, environmentNames, itemText } from "./fhirpath.mjs";
import { validateProfile } from "./validate.mjs";

/** @typedef {import("./index.mjs").Assert} Assert */
/** @typedef {import("./index.mjs").Message} Message */
/** @typedef {import("./index.mjs").Exchange} Exchange */
/** @typedef {import("./index.mjs").AssertContext} AssertContext */
/** @typedef {import("./index.mjs").AssertVerdict} AssertVerdict */

/** The element that decides what an assert checks, in the order they are looked for. */
export const ASSERT_KINDS = /** @type {const} */ ([
  "ruleId", "validateProfileId", "minimumId", "compareToSourceId", "expression", "headerField", "requestURL",
  "requestMethod", "resource", "responseCode", "response", "contentType", "navigationLinks",
]);

export const MIME_TYPES = { json: "application/fhir+json", xml: "application/fhir+xml" };
/** STU3 assert-response-code-types and the status each stands for. */
export const RESPONSE_CODES = {
  okay: 200, created: 201, noContent: 204, notModified: 304, bad: 400, forbidden: 403, notFound: 404,
  methodNotAllowed: 405, conflict: 409, gone: 410, preconditionFailed: 412, unprocessable: 422,
};
/** STU3 assert operators (assert-operator-codes). */
export const OPERATORS = new Set(["equals", "notEquals", "in", "notIn", "greaterThan", "lessThan", "empty", "notEmpty", "contains", "notContains", "eval"]);
const SHORT = 200;

/**
 * The kinds of check an assert names (normally exactly one). With compareToSourceId, `expression` is the side of
 * the comparison evaluated on the message, not a check of its own.
 * @param {Assert} assert
 */
export function assertKinds(assert) {
  return ASSERT_KINDS.filter((k) => assert[k] !== undefined && !(k === "expression" && assert.compareToSourceId !== undefined));
}

/**
 * @param {Assert} assert
 * @param {AssertContext} ctx
 * @returns {AssertVerdict}
 */
export function evaluateAssert(assert, ctx) {
  const [kind] = assertKinds(assert);
  if (kind === undefined) return { outcome: "notEvaluated", message: "the assert names nothing to check" };
  const direction = assert.direction ?? "response";
  let message;
  if (assert.sourceId !== undefined) {
    message = ctx.source(assert.sourceId, direction);
    if (!message) return { outcome: "notEvaluated", message: `there is no fixture or response ${assert.sourceId}` };
  } else {
    if (!ctx.exchange) return { outcome: "notEvaluated", message: "no operation before this assert" };
    message = ctx.exchange[direction];
    if (!message) return { outcome: "notEvaluated", message: `the exchange has no ${direction}` };
  }
  /** @type {Check} */
  let check;
  try {
    check = CHECKS[kind](assert, message, ctx);
  } catch (e) {
    check = { passed: false, message: /** @type {Error} */ (e).message };
  }
  /** @type {AssertVerdict} */
  const verdict = check.passed === null
    ? { outcome: "notEvaluated", message: check.message }
    : { outcome: check.passed ? "passed" : assert.warningOnly ? "warning" : "failed" };
  if (check.passed === false) verdict.message = check.message;
  if (check.actual !== undefined && check.passed === false) verdict.actual = short(check.actual);
  if (check.notEvaluated?.length) verdict.notEvaluated = check.notEvaluated;
  return verdict;
}

/**
 * @typedef {{ passed: boolean | null, message?: string, actual?: string, notEvaluated?: string[] }} Check
 * passed null: nothing could be concluded (notEvaluated)
 */

/** @type {Record<(typeof ASSERT_KINDS)[number], (assert: Assert, message: Message, ctx: AssertContext) => Check>} */
const CHECKS = {
  ruleId(assert, message, ctx) {
    const rule = ctx.rules[/** @type {string} */ (assert.ruleId)];
    if (!rule?.port) return { passed: null, message: `rule ${assert.ruleId}: ${rule?.problem ?? "not declared"}` };
    const requestUrl = ctx.exchange?.request.url;
    if (requestUrl === undefined) return { passed: null, message: "the rule needs the request of the last operation" };
    const verdict = rule.port({
      requestUrl,
      fhirPathValue: (expression) => {
        const items = message.resource ? evaluateFhirPath(message.resource, expression) : [];
        return items.length > 0 ? itemText(items[0]) : null;
      },
    });
    return verdict.passed ? { passed: true } : { passed: false, message: verdict.message };
  },

  validateProfileId(assert, message, ctx) {
    const url = ctx.profiles[/** @type {string} */ (assert.validateProfileId)];
    if (url === undefined) return { passed: null, message: `no profile ${assert.validateProfileId} in the script` };
    if (!message.resource) return { passed: false, message: noResource(message) };
    const verdict = validateProfile(message.resource, url);
    if (verdict.outcome === "notEvaluated") return { passed: null, message: verdict.notEvaluated.join("; ") };
    return {
      passed: verdict.outcome === "passed",
      message: `does not conform to ${url}: ${verdict.errors.join("; ")}`,
      notEvaluated: verdict.notEvaluated,
    };
  },

  minimumId(assert, message, ctx) {
    const minimum = ctx.source(/** @type {string} */ (assert.minimumId), "response")?.resource;
    if (!minimum) return { passed: null, message: `there is no fixture or response ${assert.minimumId}` };
    if (!message.resource) return { passed: false, message: noResource(message) };
    /** @type {string[]} */
    const missing = [];
    containsAtLeast(message.resource, minimum, "", missing);
    return { passed: missing.length === 0, message: `lacks what ${assert.minimumId} has: ${missing.slice(0, 5).join("; ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}` };
  },

  compareToSourceId(assert, message, ctx) {
    const source = ctx.source(/** @type {string} */ (assert.compareToSourceId), "response");
    if (!source?.resource) return { passed: null, message: `there is no fixture or response ${assert.compareToSourceId} with a resource` };
    if (!message.resource) return { passed: false, message: noResource(message) };
    const expression = ctx.substitute(/** @type {string} */ (assert.expression ?? assert.compareToSourceExpression));
    const actual = evaluate(message.resource, expression, ctx).map(itemText);
    const expected = evaluate(source.resource, ctx.substitute(/** @type {string} */ (assert.compareToSourceExpression)), ctx).map(itemText);
    return compare(assert.operator ?? "equals", actual, expected, expression, `${assert.compareToSourceId}'s ${assert.compareToSourceExpression}`);
  },

  expression(assert, message, ctx) {
    if (!message.resource) return { passed: false, message: noResource(message) };
    const expression = ctx.substitute(/** @type {string} */ (assert.expression));
    const items = evaluate(message.resource, expression, ctx);
    if (assert.operator === "eval" || (assert.operator === undefined && assert.value === undefined)) return condition(items, expression);
    const operator = assert.operator ?? "equals";
    return compare(operator, items.map(itemText), expectedValues(operator, assert.value, ctx), expression);
  },

  headerField(assert, message, ctx) {
    const name = /** @type {string} */ (assert.headerField);
    const value = message.headers[name.toLowerCase()];
    const operator = assert.operator ?? (assert.value === undefined ? "notEmpty" : "equals");
    return compare(operator, value === undefined ? [] : [value], expectedValues(operator, assert.value, ctx), `header ${name}`);
  },

  requestURL(assert, _message, ctx) {
    const url = ctx.exchange?.request.url;
    if (url === undefined) return { passed: null, message: "no request to check" };
    const operator = assert.operator ?? "equals";
    return compare(operator, [url], expectedValues(operator, assert.requestURL, ctx), "the request URL");
  },

  requestMethod(assert, _message, ctx) {
    const method = ctx.exchange?.request.method;
    if (method === undefined) return { passed: null, message: "no request to check" };
    const operator = assert.operator ?? "equals";
    return compare(operator, [method.toLowerCase()], expectedValues(operator, assert.requestMethod?.toLowerCase(), ctx), "the request method");
  },

  resource(assert, message, ctx) {
    const operator = assert.operator ?? "equals";
    const actual = message.resource ? [/** @type {string} */ (message.resource.resourceType)] : [];
    const check = compare(operator, actual, expectedValues(operator, assert.resource, ctx), "the resource type");
    if (!check.passed && !message.resource) check.message = `${check.message} (${noResource(message)})`;
    return check;
  },

  responseCode(assert, message, ctx) {
    const status = statusOf(message, ctx);
    if (status === undefined) return { passed: null, message: "no response to check" };
    const operator = assert.operator ?? "equals";
    return compare(operator, [String(status)], expectedValues(operator, assert.responseCode, ctx), "the status");
  },

  response(assert, message, ctx) {
    const status = statusOf(message, ctx);
    if (status === undefined) return { passed: null, message: "no response to check" };
    const code = /** @type {keyof typeof RESPONSE_CODES} */ (assert.response);
    const operator = assert.operator ?? "equals";
    return compare(operator, [String(status)], [String(RESPONSE_CODES[code])], "the status", `${RESPONSE_CODES[code]} (${code})`);
  },

  contentType(assert, message, ctx) {
    const header = message.headers["content-type"];
    const actual = header === undefined ? [] : [/** @type {string} */ (header.split(";")[0]).trim().toLowerCase()];
    const code = /** @type {string} */ (assert.contentType);
    const expected = code in MIME_TYPES ? MIME_TYPES[/** @type {keyof typeof MIME_TYPES} */ (code)] : code.toLowerCase();
    const operator = assert.operator ?? "equals";
    return compare(operator, actual, expectedValues(operator, expected, ctx), "the content type");
  },

  navigationLinks(assert, message) {
    if (assert.navigationLinks === false) return { passed: null, message: "navigationLinks=false asks for no check" };
    const resource = message.resource;
    if (resource?.resourceType !== "Bundle") return { passed: false, message: `not a Bundle (${message.resource ? resource?.resourceType : noResource(message)})` };
    const links = Array.isArray(resource.link) ? resource.link : [];
    const present = new Set(links.map((/** @type {{ relation?: unknown }} */ l) => l.relation));
    const missing = ["first", "last", "next"].filter((r) => !present.has(r));
    return { passed: missing.length === 0, message: `the Bundle lacks the navigation links ${missing.join(", ")}`, actual: [...present].join(", ") };
  },
};

/**
 * @param {Message} message
 * @param {AssertContext} ctx
 */
function statusOf(message, ctx) {
  return message.status ?? ctx.exchange?.response?.status;
}

/**
 * @param {Record<string, unknown>} resource
 * @param {string} expression
 * @param {AssertContext} ctx
 */
function evaluate(resource, expression, ctx) {
  /** @type {Record<string, unknown>} */
  const env = {};
  for (const name of environmentNames(expression)) {
    const value = ctx.variable(name);
    if (value !== undefined) env[name] = value;
  }
  try {
    return evaluateFhirPath(resource, expression, env);
  } catch (e) {
    throw new Error(`FHIRPath ${expression}: ${/** @type {Error} */ (e).message}`);
  }
}

/**
 * A FHIRPath result where a Boolean is expected.
 * @param {unknown[]} items
 * @param {string} expression
 * @returns {Check}
 */
function condition(items, expression) {
  if (items.length === 1 && items[0] === true) return { passed: true };
  const actual = describe(items.map(itemText));
  if (items.length === 0) return { passed: false, message: `${expression} is empty`, actual };
  if (items.length > 1) return { passed: false, message: `${expression} gives ${items.length} items where one Boolean is expected`, actual };
  return items[0] === false ? { passed: false, message: `${expression} is false`, actual } : { passed: true };
}

/**
 * @param {string} operator
 * @param {string | undefined} value
 * @param {AssertContext} ctx
 */
function expectedValues(operator, value, ctx) {
  if (value === undefined) return [];
  const v = ctx.substitute(value);
  return operator === "in" || operator === "notIn" ? v.split(",").map((s) => s.trim()) : [v];
}

/**
 * Compares a result with the expected values (see the operators above).
 * @param {string} operator
 * @param {string[]} actual
 * @param {string[]} expected
 * @param {string} subject what was measured, for the failure message ("Bundle.type", "the status")
 * @param {string} [wanted] how to name the expected values, default their JSON
 * @returns {Check}
 */
export function compare(operator, actual, expected, subject, wanted) {
  const got = describe(actual);
  const want = wanted ?? (expected.length === 1 ? JSON.stringify(expected[0]) : describe(expected));
  /** @type {(passed: boolean) => Check} */
  const verdict = (passed) => ({ passed, message: `expected ${subject} ${operator} ${want}, got ${got}`, actual: got });
  const number = (/** @type {string} */ s) => (s.trim() !== "" && Number.isFinite(Number(s)) ? Number(s) : undefined);
  const ordered = (/** @type {(a: number | string, b: number | string) => boolean} */ test) => {
    const [a, b] = [actual[0], expected[0]];
    if (actual.length !== 1 || a === undefined || b === undefined) return verdict(false);
    const [na, nb] = [number(a), number(b)];
    return verdict(na !== undefined && nb !== undefined ? test(na, nb) : test(a, b));
  };
  switch (operator) {
    case "equals": return verdict(actual.length === expected.length && actual.every((a, i) => a === expected[i]));
    case "notEquals": return verdict(!(actual.length === expected.length && actual.every((a, i) => a === expected[i])));
    case "in": return verdict(actual.length > 0 && actual.every((a) => expected.includes(a)));
    case "notIn": return verdict(!actual.some((a) => expected.includes(a)));
    case "greaterThan": return ordered((a, b) => a > b);
    case "lessThan": return ordered((a, b) => a < b);
    case "empty": return { passed: actual.length === 0, message: `expected ${subject} to be empty, got ${got}`, actual: got };
    case "notEmpty": return { passed: actual.length > 0, message: `expected ${subject} to be present, got nothing` };
    case "contains": return verdict(expected.every((e) => actual.some((a) => a.includes(e))));
    case "notContains": return verdict(!expected.some((e) => actual.some((a) => a.includes(e))));
    default: return { passed: null, message: `operator ${operator} does not apply here` };
  }
}

/**
 * Does `actual` hold at least everything in `minimum`? Objects: every element of minimum, recursively; arrays:
 * every item of minimum matched by a different item of actual, in any order; primitives: equal.
 * @param {unknown} actual
 * @param {unknown} minimum
 * @param {string} path
 * @param {string[]} missing collects the paths that are absent or differ
 */
function containsAtLeast(actual, minimum, path, missing) {
  if (Array.isArray(minimum)) {
    if (!Array.isArray(actual)) {
      missing.push(`${path || "/"} (not a list)`);
      return;
    }
    const used = new Set();
    minimum.forEach((m, i) => {
      const match = actual.findIndex((a, j) => !used.has(j) && holds(a, m));
      if (match < 0) missing.push(`${path}/${i}`);
      else used.add(match);
    });
  } else if (minimum !== null && typeof minimum === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      missing.push(path || "/");
      return;
    }
    for (const [key, value] of Object.entries(minimum)) {
      containsAtLeast(/** @type {Record<string, unknown>} */ (actual)[key], value, `${path}/${key}`, missing);
    }
  } else if (actual !== minimum) {
    missing.push(`${path} (${JSON.stringify(minimum)}, got ${JSON.stringify(actual) ?? "nothing"})`);
  }
}

/**
 * @param {unknown} actual
 * @param {unknown} minimum
 */
function holds(actual, minimum) {
  /** @type {string[]} */
  const missing = [];
  containsAtLeast(actual, minimum, "", missing);
  return missing.length === 0;
}

/** @param {Message} message */
function noResource(message) {
  return message.resourceError ?? `the message has no FHIR resource (Content-Type ${message.headers["content-type"] ?? "none"})`;
}

/** @param {string[]} items */
function describe(items) {
  return items.length === 1 ? JSON.stringify(items[0]) : `[${items.map((i) => JSON.stringify(i)).join(", ")}]`;
}

/** @param {string} s */
function short(s) {
  return s.length <= SHORT ? s : `${s.slice(0, SHORT)}…`;
}
