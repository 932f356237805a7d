// Loading FHIR STU3 TestScript resources (XML) into the engine's model.
//
// Every element of a script is either understood (it drives the run, or is descriptive and read as such) or
// listed in `unsupported` with its path: nothing is silently ignored. An action with an unsupported element is
// not run; the report says why.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { parseXmlDocument } from "./fhir-xml.mjs";
import { RULE_PORTS } from "./rules.mjs";
import { OPERATORS, RESPONSE_CODES, assertKinds } from "./asserts.mjs";

/** @typedef {import("./index.mjs").TestScript} TestScript */
/** @typedef {import("./index.mjs").Action} Action */
/** @typedef {import("./index.mjs").Operation} Operation */
/** @typedef {import("./index.mjs").Assert} Assert */
/** @typedef {import("./index.mjs").Variable} Variable */
/** @typedef {import("./index.mjs").Fixture} Fixture */

const FHIR_NS = "http://hl7.org/fhir";
const RULE_EXTENSION = "http://touchstone.aegis.net/touchstone/fhir/testing/StructureDefinition/testscript-rule";
const ASSERT_RULE_EXTENSION = "http://touchstone.aegis.net/touchstone/fhir/testing/StructureDefinition/testscript-assert-rule";
const SUT_EXTENSION = "http://fhir.interoplab.eu/fhir/StructureDefinition/Interoplab-CL-ext-SUT";

/** The operation types the engine performs (restful-interaction codes, plus Interoplab's purge and get), with their HTTP method. */
export const OPERATION_METHODS = Object.freeze(/** @type {Record<string, string>} */ ({
  read: "GET", vread: "GET", search: "GET", get: "GET", create: "POST", update: "PUT", delete: "DELETE",
  transaction: "POST", batch: "POST", purge: "POST",
}));
const FORMAT_CODES = new Set(["xml", "json", "none"]);
const DIRECTIONS = new Set(["request", "response"]);

/** Descriptive elements: read, never acted on. */
const DESCRIPTIVE = ["id", "meta", "implicitRules", "language", "text", "url", "identifier", "version", "name", "status", "experimental", "date", "publisher", "contact", "description", "useContext", "jurisdiction", "purpose", "copyright", "title"];

/**
 * Reads a TestScript (XML) with its fixtures, rule declarations and the `properties.json` beside it.
 * @param {string} path
 * @returns {TestScript}
 */
export function loadTestScript(path) {
  const file = resolve(path);
  const dir = dirname(file);
  const root = parseXmlDocument(readFileSync(file, "utf8"));
  if (root.localName !== "TestScript" || root.namespaceURI !== FHIR_NS) throw new Error(`${path}: not a FHIR TestScript`);
  /** @type {string[]} */
  const unsupported = [];
  /** @type {TestScript} */
  const script = {
    path: file, dir, id: "", name: "", title: undefined, description: undefined,
    properties: readProperties(dir),
    rules: {}, profiles: {}, variables: [], fixtures: {}, origins: [], destinations: [],
    setup: [], tests: [], teardown: [], unsupported,
  };
  let fixtureIndex = 0, variableIndex = 0, testIndex = 0, extensionIndex = 0, originIndex = 0, destinationIndex = 0;
  for (const child of children(root)) {
    const name = child.localName;
    if (child.namespaceURI !== FHIR_NS) {
      unsupported.push(`TestScript.${child.tagName} (not FHIR)`);
      continue;
    }
    switch (name) {
      case "id": script.id = value(child) ?? ""; break;
      case "name": script.name = value(child) ?? ""; break;
      case "title": script.title = value(child); break;
      case "description": script.description = value(child); break;
      case "extension": readScriptExtension(child, `TestScript.extension[${extensionIndex++}]`, script); break;
      case "origin": script.origins.push(readEndpoint(child, `TestScript.origin[${originIndex++}]`, unsupported)); break;
      case "destination": script.destinations.push(readEndpoint(child, `TestScript.destination[${destinationIndex++}]`, unsupported)); break;
      case "profile": readProfile(child, script); break;
      case "variable": script.variables.push(readVariable(child, `TestScript.variable[${variableIndex++}]`, unsupported)); break;
      case "fixture": readFixture(child, `TestScript.fixture[${fixtureIndex++}]`, script); break;
      case "setup": script.setup = readActions(child, "TestScript.setup", script, false); break;
      case "test": script.tests.push(readTest(child, `TestScript.test[${testIndex++}]`, script)); break;
      case "teardown": script.teardown = readActions(child, "TestScript.teardown", script, true); break;
      default:
        if (!DESCRIPTIVE.includes(name)) unsupported.push(`TestScript.${name}`);
    }
  }
  for (const action of [...script.setup, ...script.tests.flatMap((t) => t.actions), ...script.teardown]) unsupported.push(...action.unsupported);
  return script;
}

/**
 * The TestScripts of one role of a standard, e.g. `listCertScripts("test/fixtures/nictiz/BgZ-3-0", "XIS-Server")`:
 * the TestScripts under `<standardDir>/MedMij/Cert/<role>/`. `_LoadResources` is a role too (its load script).
 * @param {string} standardDir
 * @param {string} role
 * @returns {string[]}
 */
export function listCertScripts(standardDir, role) {
  return listTestScripts(join(standardDir, "MedMij", "Cert", role));
}

/**
 * The XML files in `dir` whose root element is a TestScript, sorted by name.
 * @param {string} dir
 * @returns {string[]}
 */
export function listTestScripts(dir) {
  if (!existsSync(dir)) throw new Error(`no directory ${dir}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".xml"))
    .sort()
    .map((f) => join(dir, f))
    .filter((f) => /<TestScript[\s>]/.test(readFileSync(f, "utf8")));
}

/** @param {string} dir */
function readProperties(dir) {
  const path = join(dir, "properties.json");
  return existsSync(path) ? /** @type {Record<string, unknown>} */ (JSON.parse(readFileSync(path, "utf8"))) : undefined;
}

/**
 * @param {Element} el
 * @param {string} where
 * @param {TestScript} script
 */
function readScriptExtension(el, where, script) {
  const url = el.getAttribute("url");
  if (url !== RULE_EXTENSION) {
    script.unsupported.push(`${where} (${url})`);
    return;
  }
  const parts = extensionParts(el, where, script.unsupported);
  const ruleId = parts.ruleId;
  const rulePath = parts.path;
  if (ruleId === undefined || rulePath === undefined) {
    script.unsupported.push(`${where}: a rule needs ruleId and path`);
    return;
  }
  const file = resolve(script.dir, rulePath);
  const source = existsSync(file) ? readFileSync(file) : undefined;
  const port = source && RULE_PORTS.get(createHash("sha256").update(source).digest("hex"));
  script.rules[ruleId] = port
    ? { path: file, port: port.evaluate }
    : { path: file, problem: source ? `${rulePath} is not the Groovy source this engine ported (its SHA-256 differs)` : `${rulePath} does not exist` };
}

/**
 * The sub-extensions of a complex extension, by url: their valueX as a string.
 * @param {Element} el
 * @param {string} where
 * @param {string[]} unsupported
 * @returns {Record<string, string>}
 */
function extensionParts(el, where, unsupported) {
  /** @type {Record<string, string>} */
  const parts = {};
  for (const sub of children(el)) {
    const url = sub.getAttribute("url");
    const valueEl = sub.localName === "extension" && url ? children(sub).find((c) => c.localName.startsWith("value")) : undefined;
    const v = valueEl ? value(valueEl) : undefined;
    if (url === null || v === undefined) unsupported.push(`${where}.${sub.localName}`);
    else parts[url] = v;
  }
  return parts;
}

/**
 * @param {Element} el
 * @param {string} where
 * @param {string[]} unsupported
 */
function readEndpoint(el, where, unsupported) {
  /** @type {{ index: number | undefined, profile: string | undefined, systemUnderTest: boolean | undefined }} */
  const endpoint = { index: undefined, profile: undefined, systemUnderTest: undefined };
  for (const child of children(el)) {
    if (child.localName === "index") endpoint.index = Number(value(child));
    else if (child.localName === "profile") endpoint.profile = childValue(child, "code");
    else if (child.localName === "extension" && child.getAttribute("url") === SUT_EXTENSION) endpoint.systemUnderTest = childValue(child, "valueBoolean") === "true";
    else unsupported.push(`${where}.${child.localName}`);
  }
  return endpoint;
}

/**
 * `<profile id="Bundle-profile" value="http://hl7.org/fhir/StructureDefinition/Bundle"/>` as Nictiz writes it, or
 * the STU3 Reference form `<profile id="..."><reference value="..."/></profile>`.
 * @param {Element} el
 * @param {TestScript} script
 */
function readProfile(el, script) {
  const id = el.getAttribute("id");
  const url = value(el) ?? childValue(el, "reference");
  if (id === null || url === undefined) script.unsupported.push(`TestScript.profile (needs an id and a url)`);
  else script.profiles[id] = url;
}

/**
 * @param {Element} el
 * @param {string} where
 * @param {string[]} unsupported
 * @returns {Variable}
 */
function readVariable(el, where, unsupported) {
  /** @type {Variable} */
  const variable = { name: "" };
  for (const child of children(el)) {
    const v = value(child);
    switch (child.localName) {
      case "name": variable.name = v ?? ""; break;
      case "defaultValue": variable.defaultValue = v; break;
      case "expression": variable.expression = v; break;
      case "sourceId": variable.sourceId = v; break;
      case "description": case "hint": break;
      default: unsupported.push(`${where}.${child.localName}`);
    }
  }
  if (variable.expression !== undefined && variable.sourceId === undefined) unsupported.push(`${where}: an expression variable needs a sourceId`);
  return variable;
}

/**
 * @param {Element} el
 * @param {string} where
 * @param {TestScript} script
 */
function readFixture(el, where, script) {
  const id = el.getAttribute("id");
  let reference;
  for (const child of children(el)) {
    if (child.localName === "resource") reference = childValue(child, "reference");
    else if (child.localName === "autocreate" || child.localName === "autodelete") {
      if (value(child) !== "false") script.unsupported.push(`${where}.${child.localName}=${value(child)}`);
    } else script.unsupported.push(`${where}.${child.localName}`);
  }
  if (id === null || reference === undefined) {
    script.unsupported.push(`${where}: needs an id and a resource reference`);
    return;
  }
  const path = resolve(script.dir, reference);
  if (!existsSync(path)) throw new Error(`${script.path}: fixture ${id} refers to ${reference}, which does not exist`);
  const text = readFileSync(path, "utf8");
  const format = extname(path) === ".json" || text.trimStart().startsWith("{") ? "json" : "xml";
  script.fixtures[id] = { id, path, format, text };
}

/**
 * @param {Element} el
 * @param {string} where
 * @param {TestScript} script
 */
function readTest(el, where, script) {
  const test = { id: el.getAttribute("id") ?? "", name: "", description: /** @type {string | undefined} */ (undefined), actions: /** @type {Action[]} */ ([]) };
  let actionIndex = 0;
  for (const child of children(el)) {
    if (child.localName === "name") test.name = value(child) ?? "";
    else if (child.localName === "description") test.description = value(child);
    else if (child.localName === "action") test.actions.push(readAction(child, `${where}.action[${actionIndex++}]`, script, false));
    else script.unsupported.push(`${where}.${child.localName}`);
  }
  return test;
}

/**
 * @param {Element} el setup or teardown
 * @param {string} where
 * @param {TestScript} script
 * @param {boolean} operationsOnly teardown holds operations only
 * @returns {Action[]}
 */
function readActions(el, where, script, operationsOnly) {
  /** @type {Action[]} */
  const actions = [];
  for (const child of children(el)) {
    if (child.localName === "action") actions.push(readAction(child, `${where}.action[${actions.length}]`, script, operationsOnly));
    else script.unsupported.push(`${where}.${child.localName}`);
  }
  return actions;
}

/**
 * @param {Element} el
 * @param {string} where
 * @param {TestScript} script
 * @param {boolean} operationsOnly
 * @returns {Action}
 */
function readAction(el, where, script, operationsOnly) {
  /** @type {string[]} */
  const unsupported = [];
  /** @type {Action | undefined} */
  let action;
  for (const child of children(el)) {
    if (action) unsupported.push(`${where}.${child.localName} (an action holds one operation or one assert)`);
    else if (child.localName === "operation") action = { kind: "operation", where: `${where}.operation`, operation: readOperation(child, `${where}.operation`, unsupported), unsupported };
    else if (child.localName === "assert" && !operationsOnly) action = { kind: "assert", where: `${where}.assert`, assert: readAssert(child, `${where}.assert`, script, unsupported), unsupported };
    else unsupported.push(`${where}.${child.localName}`);
  }
  return action ?? { kind: "assert", where, assert: { warningOnly: false, stopTestOnFail: false }, unsupported: unsupported.length ? unsupported : [`${where}: empty action`] };
}

/**
 * @param {Element} el
 * @param {string} where
 * @param {string[]} unsupported
 * @returns {Operation}
 */
function readOperation(el, where, unsupported) {
  /** @type {Operation} */
  const op = { type: "", encodeRequestUrl: true, requestHeaders: [] };
  for (const child of children(el)) {
    const name = child.localName;
    const v = value(child);
    switch (name) {
      case "type": op.type = childValue(child, "code") ?? ""; break;
      case "resource": op.resource = v; break;
      case "label": op.label = v; break;
      case "description": op.description = v; break;
      case "accept": op.accept = v; break;
      case "contentType": op.contentType = v; break;
      case "destination": op.destination = Number(v); break;
      case "origin": op.origin = Number(v); break;
      case "encodeRequestUrl": op.encodeRequestUrl = v !== "false"; break;
      case "params": op.params = v; break;
      case "url": op.url = v; break;
      case "sourceId": op.sourceId = v; break;
      case "responseId": op.responseId = v; break;
      case "requestHeader": {
        const field = childValue(child, "field");
        const headerValue = childValue(child, "value");
        if (field === undefined || headerValue === undefined) unsupported.push(`${where}.requestHeader (needs field and value)`);
        else op.requestHeaders.push({ field, value: headerValue });
        break;
      }
      default: unsupported.push(`${where}.${name}`);
    }
  }
  if (!Object.hasOwn(OPERATION_METHODS, op.type)) unsupported.push(`${where}.type=${op.type || "(none)"}`);
  for (const [name, format] of [["accept", op.accept], ["contentType", op.contentType]]) {
    if (format !== undefined && !FORMAT_CODES.has(format) && !format.includes("/")) unsupported.push(`${where}.${name}=${format}`);
  }
  if (op.destination !== undefined && op.destination !== 1) unsupported.push(`${where}.destination=${op.destination} (one destination only)`);
  return op;
}

/**
 * @param {Element} el
 * @param {string} where
 * @param {TestScript} script
 * @param {string[]} unsupported
 * @returns {Assert}
 */
function readAssert(el, where, script, unsupported) {
  /** @type {Assert} */
  const a = { warningOnly: false, stopTestOnFail: false };
  for (const child of children(el)) {
    const name = child.localName;
    const v = value(child);
    switch (name) {
      case "label": a.label = v; break;
      case "description": a.description = v; break;
      case "direction": a.direction = /** @type {"request" | "response"} */ (v); break;
      case "compareToSourceId": a.compareToSourceId = v; break;
      case "compareToSourceExpression": a.compareToSourceExpression = v; break;
      case "contentType": a.contentType = v; break;
      case "expression": a.expression = v; break;
      case "headerField": a.headerField = v; break;
      case "minimumId": a.minimumId = v; break;
      case "navigationLinks": a.navigationLinks = v === "true"; break;
      case "operator": a.operator = v; break;
      case "requestMethod": a.requestMethod = v; break;
      case "requestURL": a.requestURL = v; break;
      case "resource": a.resource = v; break;
      case "response": a.response = v; break;
      case "responseCode": a.responseCode = v; break;
      case "sourceId": a.sourceId = v; break;
      case "validateProfileId": a.validateProfileId = v; break;
      case "value": a.value = v; break;
      case "warningOnly": a.warningOnly = v === "true"; break;
      case "stopTestOnFail": a.stopTestOnFail = v === "true"; break;
      case "extension": {
        if (child.getAttribute("url") !== ASSERT_RULE_EXTENSION) {
          unsupported.push(`${where}.extension (${child.getAttribute("url")})`);
          break;
        }
        const { ruleId, ...params } = extensionParts(child, `${where}.extension`, unsupported);
        if (Object.keys(params).length > 0) unsupported.push(`${where}.extension: rule parameters ${Object.keys(params).join(", ")}`);
        const rule = ruleId === undefined ? undefined : script.rules[ruleId];
        if (ruleId === undefined) unsupported.push(`${where}.extension: no ruleId`);
        else if (!rule) unsupported.push(`${where}.extension: rule ${ruleId} is not declared by the script`);
        else if (rule.problem) unsupported.push(`${where}.extension: rule ${ruleId}: ${rule.problem}`);
        a.ruleId = ruleId;
        break;
      }
      default: unsupported.push(`${where}.${name}`);
    }
  }
  if (a.operator !== undefined && !OPERATORS.has(a.operator)) unsupported.push(`${where}.operator=${a.operator}`);
  if (a.direction !== undefined && !DIRECTIONS.has(a.direction)) unsupported.push(`${where}.direction=${a.direction}`);
  if (a.response !== undefined && !(a.response in RESPONSE_CODES)) unsupported.push(`${where}.response=${a.response}`);
  if (a.contentType !== undefined && !FORMAT_CODES.has(a.contentType) && !a.contentType.includes("/")) unsupported.push(`${where}.contentType=${a.contentType}`);
  if (a.validateProfileId !== undefined && !(a.validateProfileId in script.profiles)) unsupported.push(`${where}.validateProfileId=${a.validateProfileId} (no such profile)`);
  if ((a.compareToSourceId === undefined) !== (a.compareToSourceExpression === undefined)) unsupported.push(`${where}: compareToSourceId and compareToSourceExpression go together`);
  const kinds = assertKinds(a);
  if (kinds.length === 0) unsupported.push(`${where}: checks nothing`);
  if (kinds.length > 1) unsupported.push(`${where}: checks ${kinds.join(" and ")} at once`);
  return a;
}

/**
 * @param {Element} el
 * @returns {Element[]}
 */
function children(el) {
  /** @type {Element[]} */
  const out = [];
  for (let node = el.firstChild; node; node = node.nextSibling) if (node.nodeType === 1) out.push(/** @type {Element} */ (node));
  return out;
}

/**
 * @param {Element} el
 * @returns {string | undefined}
 */
function value(el) {
  return el.hasAttribute("value") ? /** @type {string} */ (el.getAttribute("value")) : undefined;
}

/**
 * @param {Element} el
 * @param {string} name
 */
function childValue(el, name) {
  const child = children(el).find((c) => c.localName === name);
  return child ? value(child) : undefined;
}
