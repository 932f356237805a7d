// The test system's FHIR server for the PHR-side scripts (server mode, issue 17): a test double of one provider's
// FHIR endpoint that answers a PGO (the system under test) from Nictiz's fixtures, as Nictiz's test engine does.
// It imports nothing from the product: its data comes from the `_LoadResources` scripts, its search is a plain
// lookup written here, and the only shared material is HL7's STU3 definitions (SearchParameters and the Patient
// CompartmentDefinition, the vendored JSON that validate.mjs also reads).
//
// Data. Every `_LoadResources` script of the standards asked for (default BgZ 3.0, LaboratoryResults 2.0, PDF/A
// 3.0, SelfMeasurements 2.0) is run by this engine against an in-memory sink, so each fixture it PUTs is the one
// the load would send, `${DATE, T, D, n}` filled in from `today`. Nothing is added, nothing is persisted: sends
// are answered and forgotten.
//
// Scoping. `patientForToken(token)` (the caller's) names the patient of a Bearer token; no token or an unknown one
// is 401. A resource belongs to patient P when it is P, when it is in P's compartment (HL7's STU3 Patient
// CompartmentDefinition, its parameters evaluated with HL7's SearchParameter expressions) or, for a type the
// compartment leaves out (Device, Binary, ...), when it references Patient/P anywhere. A resource that belongs to no
// patient is shared (Practitioner, Organization, Medication, a Binary of a document). A patient sees their own
// resources and the shared ones reachable from them (references, and Attachment.url naming `Binary/<id>`,
// followed transitively through shared resources only): searches, includes and reads never see anything else, and
// another patient's resource reads as 404, as an unknown one does.
//
// Interactions (relative to the base URL):
// - GET metadata: a small CapabilityStatement, no token needed.
// - GET [type]/[id]: the resource. A Binary is the raw document (its contentType) unless Accept or _format names
//   a FHIR format, then the FHIR Binary.
// - GET [type]?..., POST [type]/_search (form body), GET Observation/$lastn?...: a searchset Bundle, every match
//   (no paging: `_count` smaller than the result is refused), `total`, a self link.
// - POST [base] with a batch or transaction Bundle: a batch-response / transaction-response, per entry
//   `201 Created` and a location (POST: a new id; PUT: the id of its URL), GET entries answered as above. An
//   entry that references another patient, or PUTs a resource of another patient, is `403` (a transaction: 403
//   as a whole).
// - Anything else: 405 or 404 with an OperationOutcome.
// JSON by default; FHIR XML when Accept or _format asks for it (writeFhirXml).
//
// Search, deliberately simple:
// - A parameter is HL7's STU3 SearchParameter of that code for the type (its expression evaluated with fhirpath.js
//   on each candidate), `_id`, or, when HL7 has none but the type has an element of that name (MedicationDispense
//   and Flag `category`, which Nictiz's BgZ queries), a token search on that element. Anything else is 400.
// - Repeated parameters are AND, a comma-separated value OR. No modifiers (400).
// - token: `code`, `system|code`, `|code`, `system|` against Coding, CodeableConcept (any coding), Identifier
//   (system and value), ContactPoint (value) and code/string/boolean values (the code; a system given cannot
//   match them, except that a code of a primitive is compared alone).
// - date: prefixes eq (default), ne, gt, lt, ge, le against dates, dateTimes, instants and Periods, each value a
//   range by its precision (2024-05 is all of May); a value without a time zone is read as UTC.
//   gt: the target ends after the search range; lt: it starts before; eq: the search range contains it;
//   ge = gt or eq; le = lt or eq; ne = not eq.
// - reference: `Type/id`, `id` or an absolute URL ending in `Type/id`, against the Reference's type and id.
// - string: starts with, ignoring case and accents, on strings and the string parts of HumanName and Address.
// - `_include=Type:param` and `Type:param:TargetType`: the targets of that reference parameter of the matches,
//   visible to the patient, not already in the result (search.mode include). `_revinclude`, `_sort`, `_summary`,
//   `_elements`, `_has`, chaining and other `_` parameters are 400. `_format` and `_pretty` are read, not searched.
// - `$lastn` (Observation): the search, then per Observation.code (its first coding, system|code) the `max`
//   (default 1) most recent by effective[x] (the end of a Period), then issued.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import stu3 from "fhirpath/fhir-context/stu3";
import { runLoadScript } from "./engine.mjs";
import { parseFhirXml, writeFhirXml } from "./fhir-xml.mjs";
import { evaluateFhirPath } from "./fhirpath.mjs";
import { listCertScripts } from "./load.mjs";

/** @typedef {Record<string, any>} Resource */

const NICTIZ = new URL("../fixtures/nictiz/", import.meta.url).pathname;
const DEFINITIONS = new URL("../../workers/fhir/definitions/stu3/", import.meta.url);
export const PHR_STANDARDS = Object.freeze(["BgZ-3-0", "LaboratoryResults-2-0", "PDFA-3-0", "SelfMeasurements-2-0"]);
/** The PHR-side roles (folders under MedMij/Cert) of each standard. */
export const PHR_ROLES = Object.freeze({
  "BgZ-3-0": ["PHR-Client"], "LaboratoryResults-2-0": ["PHR-Client"], "PDFA-3-0": ["PHR-Client"], "SelfMeasurements-2-0": ["Retrieving-PHR", "Sending-PHR"],
});

/**
 * The PHR-side TestScripts of the standards, in the order of PHR_STANDARDS and PHR_ROLES.
 * @param {readonly string[]} [standards]
 * @returns {string[]}
 */
export function listPhrScripts(standards = PHR_STANDARDS) {
  return standards.flatMap((s) => (/** @type {Record<string, string[]>} */ (PHR_ROLES)[s] ?? []).flatMap((role) => listCertScripts(join(NICTIZ, s), role)));
}

/**
 * `patientForToken` from a `tokenFor` mapping (patient resource id -> Authorization value, "Bearer ..."): the
 * double then knows exactly the tokens the run's caller issued.
 * @param {Record<string, string>} tokenFor
 * @returns {(token: string) => string | undefined}
 */
export function patientForTokenFrom(tokenFor) {
  /** @type {Map<string, string>} */
  const patients = new Map();
  for (const [patient, authorization] of Object.entries(tokenFor)) {
    const token = authorization.replace(/^Bearer\s+/i, "");
    if (patients.has(token) && patients.get(token) !== patient) throw new Error(`patientForTokenFrom: one token for ${patients.get(token)} and ${patient}`);
    patients.set(token, patient);
  }
  return (token) => patients.get(token);
}

const JSON_TYPE = "application/fhir+json; charset=utf-8";
const XML_TYPE = "application/fhir+xml; charset=utf-8";
const FHIR_MEDIA = /^application\/(fhir\+json|json\+fhir|json|fhir\+xml|xml\+fhir|xml)$|^text\/xml$/;
/** Parameters that shape the answer and select nothing. */
const PRESENTATION = new Set(["_format", "_pretty"]);

// ---- HL7's STU3 definitions ------------------------------------------------------------------------------------

/** @type {{ params: Map<string, { type: string, expression: string, targets: string[] }>, compartment: Map<string, string[]> } | undefined} */
let definitions;

function hl7() {
  if (!definitions) {
    /** @type {{ entry: { resource: Resource }[] }} */
    const bundle = JSON.parse(readFileSync(new URL("search-parameters.json", DEFINITIONS), "utf8"));
    const params = new Map();
    for (const { resource: sp } of bundle.entry) {
      if (typeof sp.expression !== "string") continue;
      for (const base of sp.base) params.set(`${base}.${sp.code}`, { type: sp.type, expression: sp.expression, targets: sp.target ?? [] });
    }
    /** @type {{ entry: { resource: Resource }[] }} */
    const compartments = JSON.parse(readFileSync(new URL("compartment-definitions.json", DEFINITIONS), "utf8"));
    const patient = compartments.entry.map((e) => e.resource).find((r) => r.code === "Patient");
    const compartment = new Map();
    for (const r of patient?.resource ?? []) {
      const direct = (r.param ?? []).filter((/** @type {string} */ p) => !p.includes("."));
      if (direct.length > 0) compartment.set(r.code, direct);
    }
    definitions = { params, compartment };
  }
  return definitions;
}

/**
 * The search parameter `code` on `type`: HL7's, `_id`, or the element fallback (see the file comment).
 * @param {string} type
 * @param {string} code
 * @returns {{ type: string, expression: string, targets: string[] } | undefined}
 */
function searchParameter(type, code) {
  const { params } = hl7();
  const own = params.get(`${type}.${code}`) ?? params.get(`DomainResource.${code}`) ?? params.get(`Resource.${code}`);
  if (own) return own;
  const element = /** @type {Record<string, string>} */ (stu3.path2Type)[`${type}.${code}`];
  if (element === "CodeableConcept" || element === "Coding" || element === "code") return { type: "token", expression: `${type}.${code}`, targets: [] };
  return undefined;
}

// ---- Data ------------------------------------------------------------------------------------------------------

/**
 * The resources the `_LoadResources` scripts of `standards` PUT, dates filled in from `today`.
 * @param {readonly string[]} standards directory names under test/fixtures/nictiz/
 * @param {string | undefined} today YYYY-MM-DD
 * @returns {Promise<Resource[]>}
 */
export async function loadPhrData(standards = PHR_STANDARDS, today = undefined) {
  /** @type {Map<string, Resource>} */
  const store = new Map();
  /** @type {Map<string, string>} key -> the script that loaded it */
  const from = new Map();
  for (const standard of standards) {
    for (const path of listCertScripts(join(NICTIZ, standard), "_LoadResources")) {
      /** @type {string[]} */
      const problems = [];
      const sink = async (/** @type {string} */ url, /** @type {{ method: string, headers: Record<string, string>, body?: string }} */ init) => {
        if (init.method === "PUT" && init.body !== undefined) {
          const resource = /xml/.test(init.headers["content-type"] ?? "") ? parseFhirXml(init.body) : JSON.parse(init.body);
          const key = `${resource.resourceType}/${resource.id}`;
          if (!url.endsWith(`/${key}`)) problems.push(`${url} PUTs ${key}`);
          const earlier = store.get(key);
          if (earlier && JSON.stringify(earlier) !== JSON.stringify(resource)) problems.push(`${key} differs between ${from.get(key)} and ${path}`);
          store.set(key, resource);
          from.set(key, path);
          return new Response(null, { status: 201 });
        }
        return new Response(null, { status: init.method === "POST" ? 204 : 405 });
      };
      const report = await runLoadScript(path, { baseUrl: "https://load.invalid/fhir", fetch: sink, ...(today !== undefined && { today }) });
      if (report.totals.operations.failed > 0 || report.totals.asserts.failed > 0) problems.push(`the load script did not run cleanly: ${JSON.stringify(report.totals)}`);
      if (problems.length > 0) throw new Error(`loading ${path}: ${problems.join("; ")}`);
    }
  }
  return [...store.values()];
}

/**
 * `Type/id` of a reference or URL, when it names one (relative, absolute, with or without _history).
 * @param {unknown} reference
 * @returns {string | undefined}
 */
function referenceKey(reference) {
  if (typeof reference !== "string" || reference.startsWith("#")) return undefined;
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/**
 * Every reference in a resource (Reference.reference, and Attachment.url naming a resource), as `Type/id`.
 * @param {unknown} value
 * @param {Set<string>} [out]
 */
function referencesIn(value, out = new Set()) {
  if (Array.isArray(value)) for (const v of value) referencesIn(v, out);
  else if (value !== null && typeof value === "object") {
    const object = /** @type {Record<string, unknown>} */ (value);
    for (const [key, v] of Object.entries(object)) {
      if ((key === "reference" || (key === "url" && "contentType" in object)) && typeof v === "string") {
        const ref = referenceKey(v);
        if (ref) out.add(ref);
      } else if (typeof v === "object") referencesIn(v, out);
    }
  }
  return out;
}

/**
 * The patients (ids) a resource belongs to (see the file comment).
 * @param {Resource} resource
 * @returns {Set<string>}
 */
function ownersOf(resource) {
  const type = resource.resourceType;
  /** @type {Set<string>} */
  const owners = new Set();
  if (type === "Patient") owners.add(resource.id);
  const params = hl7().compartment.get(type);
  if (params) {
    for (const code of params) {
      const sp = searchParameter(type, code);
      if (!sp) continue;
      for (const item of evaluateFhirPath(resource, sp.expression)) {
        const ref = referenceKey(/** @type {Resource} */ (item)?.reference);
        if (ref?.startsWith("Patient/")) owners.add(ref.slice("Patient/".length));
      }
    }
  } else {
    for (const ref of referencesIn(resource)) if (ref.startsWith("Patient/")) owners.add(ref.slice("Patient/".length));
  }
  return owners;
}

// ---- The server ------------------------------------------------------------------------------------------------

/**
 * @typedef {object} PhrServerOptions
 * @property {string} baseUrl where the double is reached, e.g. https://fhir.nictiz-sim.localhost/48/fhir
 * @property {(token: string) => string | undefined} patientForToken the patient (resource id) of a Bearer token
 *   (the credentials after "Bearer "), undefined for a token it does not know
 * @property {readonly string[]} [standards] default PHR_STANDARDS
 * @property {string} [today] YYYY-MM-DD the fixtures' dates count from; default the local date
 * @property {Resource[]} [resources] instead of loading the standards
 */

/**
 * @param {PhrServerOptions} options
 */
export async function createPhrServer(options) {
  const base = new URL(options.baseUrl.replace(/\/+$/, ""));
  const basePath = base.pathname.replace(/\/+$/, "");
  const resources = options.resources ?? (await loadPhrData(options.standards ?? PHR_STANDARDS, options.today));
  /** @type {Map<string, Resource>} */
  const byKey = new Map(resources.map((r) => [`${r.resourceType}/${r.id}`, r]));
  /** @type {Map<string, Set<string>>} key -> owners */
  const owners = new Map([...byKey].map(([key, r]) => [key, ownersOf(r)]));
  /** @type {Map<string, Set<string>>} patient -> visible keys */
  const visibleCache = new Map();

  /** @param {string} patient */
  function visible(patient) {
    let keys = visibleCache.get(patient);
    if (!keys) {
      keys = new Set([...owners].filter(([, o]) => o.has(patient)).map(([key]) => key));
      const queue = [...keys];
      while (queue.length > 0) {
        for (const ref of referencesIn(byKey.get(/** @type {string} */ (queue.pop())))) {
          if (!keys.has(ref) && byKey.has(ref) && owners.get(ref)?.size === 0) {
            keys.add(ref);
            queue.push(ref);
          }
        }
      }
      visibleCache.set(patient, keys);
    }
    return keys;
  }

  /**
   * @param {Request} request
   * @returns {Promise<Response>}
   */
  async function handle(request) {
    const url = new URL(request.url);
    const accept = request.headers.get("accept") ?? "";
    const format = url.searchParams.get("_format") ?? undefined;
    const xml = wantsXml(accept, format);
    try {
      if (url.origin !== base.origin || !(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))) {
        return outcome(404, "not-found", `not under ${base.href}`, xml);
      }
      const segments = url.pathname.slice(basePath.length).split("/").filter((s) => s !== "").map(decodeLenient);
      if (request.method === "GET" && segments.length === 1 && segments[0] === "metadata") return fhir(200, capabilityStatement(), xml);

      const auth = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
      const patient = auth ? options.patientForToken(/** @type {string} */ (auth[1])) : undefined;
      if (patient === undefined) {
        const response = outcome(401, "login", auth ? "unknown token" : "no Bearer token", xml);
        response.headers.set("www-authenticate", 'Bearer realm="nictiz-sim"');
        return response;
      }
      const body = request.method === "POST" ? await request.text() : "";
      return answer(request.method, segments, queryPairs(url.search), body, request.headers.get("content-type") ?? "", patient, { accept, format, xml, self: request.url });
    } catch (e) {
      if (e instanceof Refusal) return outcome(e.status, e.code, e.message, xml);
      throw e;
    }
  }

  /**
   * @param {string} method
   * @param {string[]} segments path below the base, decoded
   * @param {[string, string][]} params the query, decoded
   * @param {string} body
   * @param {string} contentType
   * @param {string} patient
   * @param {{ accept: string, format: string | undefined, xml: boolean, self: string }} how
   * @returns {Response}
   */
  function answer(method, segments, params, body, contentType, patient, how) {
    const [type, second, ...rest] = segments;
    if (type === undefined) {
      if (method !== "POST") throw new Refusal(405, "not-supported", `${method} on the base`);
      return fhir(200, bundleResponse(readBody(body, contentType), patient, how), how.xml);
    }
    if (!isResourceType(type)) throw new Refusal(404, "not-supported", `${type} is not an STU3 resource type`);
    if (method === "GET" && second === undefined) return fhir(200, search(type, params, patient, false, how.self), how.xml);
    if (method === "POST" && second === "_search" && rest.length === 0) {
      const form = /^application\/x-www-form-urlencoded/i.test(contentType) ? [...new URLSearchParams(body)] : [];
      return fhir(200, search(type, [...params, ...form], patient, false, how.self), how.xml);
    }
    if (method === "GET" && second === "$lastn" && rest.length === 0) {
      if (type !== "Observation") throw new Refusal(400, "not-supported", "$lastn is an Observation operation");
      return fhir(200, search(type, params, patient, true, how.self), how.xml);
    }
    if (method === "GET" && second !== undefined && rest.length === 0 && !second.startsWith("$") && !second.startsWith("_")) {
      const resource = read(type, second, patient);
      if (type === "Binary" && !wantsFhir(how.accept, how.format)) {
        const bytes = Buffer.from(String(resource.content ?? ""), "base64");
        return new Response(bytes, { status: 200, headers: { "content-type": String(resource.contentType ?? "application/octet-stream") } });
      }
      return fhir(200, resource, how.xml);
    }
    throw new Refusal(405, "not-supported", `${method} ${segments.join("/")} is not something this double answers`);
  }

  /**
   * @param {string} type
   * @param {string} id
   * @param {string} patient
   */
  function read(type, id, patient) {
    const key = `${type}/${id}`;
    if (!visible(patient).has(key)) throw new Refusal(404, "not-found", `${key} is not known`);
    return /** @type {Resource} */ (byKey.get(key));
  }

  /**
   * A searchset Bundle.
   * @param {string} type
   * @param {[string, string][]} params
   * @param {string} patient
   * @param {boolean} lastn
   * @param {string} self
   */
  function search(type, params, patient, lastn, self) {
    /** @type {string[]} */
    const includes = [];
    let count;
    let max = 1;
    /** @type {[string, string][]} */
    const filters = [];
    for (const [name, value] of params) {
      if (PRESENTATION.has(name)) continue;
      if (name === "_include") includes.push(value);
      else if (name === "_count") count = positiveInteger(name, value);
      else if (lastn && name === "max") max = positiveInteger(name, value);
      else if (name.includes(":") || name.includes(".")) throw new Refusal(400, "not-supported", `${name}: modifiers and chains are not supported by this double`);
      else if (name.startsWith("_") && name !== "_id") throw new Refusal(400, "not-supported", `${name} is not supported by this double`);
      else filters.push([name, value]);
    }
    let matches = [...visible(patient)].map((key) => /** @type {Resource} */ (byKey.get(key))).filter((r) => r.resourceType === type);
    for (const [name, value] of filters) {
      const sp = name === "_id" ? { type: "token", expression: "Resource.id", targets: [] } : searchParameter(type, name);
      if (!sp) throw new Refusal(400, "not-supported", `${type} has no search parameter ${name} (in HL7's STU3 definitions or as an element)`);
      const test = predicate(sp.type, name, value);
      matches = matches.filter((r) => evaluateFhirPath(r, sp.expression).some(test));
    }
    if (lastn) matches = lastN(matches, max);
    if (count !== undefined && count < matches.length) throw new Refusal(400, "too-costly", `_count=${count} is below the ${matches.length} matches, and this double does not page`);
    const included = include(type, matches, includes, patient);
    return {
      resourceType: "Bundle",
      id: randomUUID(),
      type: "searchset",
      total: matches.length,
      link: [{ relation: "self", url: self }],
      entry: [
        ...matches.map((r) => ({ fullUrl: `${base.href}/${r.resourceType}/${r.id}`, resource: r, search: { mode: "match" } })),
        ...included.map((r) => ({ fullUrl: `${base.href}/${r.resourceType}/${r.id}`, resource: r, search: { mode: "include" } })),
      ],
    };
  }

  /**
   * @param {string} type
   * @param {Resource[]} matches
   * @param {string[]} includes `Type:param[:Target]`
   * @param {string} patient
   */
  function include(type, matches, includes, patient) {
    const seen = new Set(matches.map((r) => `${r.resourceType}/${r.id}`));
    /** @type {Resource[]} */
    const out = [];
    for (const spec of includes) {
      const [source, code, target, ...more] = spec.split(":");
      if (source === undefined || code === undefined || more.length > 0) throw new Refusal(400, "invalid", `_include=${spec}: expected Type:param or Type:param:Target`);
      if (source !== type) continue;
      const sp = searchParameter(type, code);
      if (!sp || sp.type !== "reference") throw new Refusal(400, "invalid", `_include=${spec}: ${code} is not a reference parameter of ${type}`);
      for (const r of matches) {
        for (const item of evaluateFhirPath(r, sp.expression)) {
          const key = referenceKey(/** @type {Resource} */ (item)?.reference);
          if (!key || seen.has(key) || !visible(patient).has(key)) continue;
          if (target !== undefined && !key.startsWith(`${target}/`)) continue;
          seen.add(key);
          out.push(/** @type {Resource} */ (byKey.get(key)));
        }
      }
    }
    return out;
  }

  /**
   * @param {Resource} bundle
   * @param {string} patient
   * @param {{ accept: string, format: string | undefined, xml: boolean, self: string }} how
   */
  function bundleResponse(bundle, patient, how) {
    if (bundle.resourceType !== "Bundle" || (bundle.type !== "batch" && bundle.type !== "transaction")) {
      throw new Refusal(400, "invalid", `expected a batch or transaction Bundle, got ${bundle.resourceType}${bundle.type ? ` of type ${bundle.type}` : ""}`);
    }
    const transaction = bundle.type === "transaction";
    const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
    const responses = entries.map((/** @type {Resource} */ entry, /** @type {number} */ i) => {
      try {
        return entryResponse(entry, patient, how);
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        if (transaction) throw new Refusal(e.status, e.code, `entry ${i}: ${e.message}`);
        return { response: { status: `${e.status} ${STATUS_TEXT[e.status] ?? ""}`.trim(), outcome: outcomeResource(e.code, e.message) } };
      }
    });
    return { resourceType: "Bundle", id: randomUUID(), type: `${bundle.type}-response`, entry: responses };
  }

  /**
   * @param {Resource} entry
   * @param {string} patient
   * @param {{ accept: string, format: string | undefined, xml: boolean, self: string }} how
   */
  function entryResponse(entry, patient, how) {
    const method = entry.request?.method;
    const target = typeof entry.request?.url === "string" ? entry.request.url : "";
    if (method === "GET") {
      const url = new URL(target, `${base.href}/`);
      const segments = url.pathname.slice(basePath.length).split("/").filter((s) => s !== "").map(decodeLenient);
      const [type, id] = segments;
      const resource = id === undefined ? search(/** @type {string} */ (type), queryPairs(url.search), patient, false, url.href) : read(/** @type {string} */ (type), id, patient);
      return { resource, response: { status: "200 OK" } };
    }
    if (method !== "POST" && method !== "PUT") throw new Refusal(405, "not-supported", `${method ?? "no method"}: this double answers POST, PUT and GET entries`);
    const resource = entry.resource;
    if (resource === null || typeof resource !== "object" || typeof resource.resourceType !== "string") throw new Refusal(400, "invalid", "the entry has no resource");
    const foreign = [...referencesIn(resource)].find((ref) => isForeign(ref, patient));
    if (foreign) throw new Refusal(403, "forbidden", `the resource references ${foreign}, which is not this patient's`);
    let id;
    if (method === "PUT") {
      const key = referenceKey(target);
      if (!key || !key.startsWith(`${resource.resourceType}/`)) throw new Refusal(400, "invalid", `PUT ${target} does not name a ${resource.resourceType}`);
      if (isForeign(key, patient) || (key.startsWith("Patient/") && byKey.has(key) && key !== `Patient/${patient}`)) throw new Refusal(403, "forbidden", `${key} is not this patient's`);
      id = key.slice(key.indexOf("/") + 1);
    } else id = randomUUID();
    return { response: { status: "201 Created", location: `${resource.resourceType}/${id}/_history/1`, etag: 'W/"1"', lastModified: new Date().toISOString() } };
  }

  /**
   * Does `key` name a stored resource that belongs to another patient (and not to this one)?
   * @param {string} key
   * @param {string} patient
   */
  function isForeign(key, patient) {
    const o = owners.get(key);
    return o !== undefined && o.size > 0 && !o.has(patient);
  }

  /** @param {string} body @param {string} contentType */
  function readBody(body, contentType) {
    const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
    try {
      if (/xml/.test(type)) return parseFhirXml(body);
      if (type === "" && body.trimStart().startsWith("<")) return parseFhirXml(body);
      return JSON.parse(body);
    } catch (e) {
      throw new Refusal(400, "structure", `the body is not FHIR ${/xml/.test(type) ? "XML" : "JSON"}: ${/** @type {Error} */ (e).message}`);
    }
  }

  return Object.assign(handle, {
    baseUrl: base.href.replace(/\/+$/, ""),
    /** Every resource the double holds (the loaded fixtures). */
    resources: /** @type {readonly Resource[]} */ (resources),
    /** The patients (resource ids) that own resources here. */
    patients: [...new Set([...owners.values()].flatMap((o) => [...o]))].filter((p) => byKey.has(`Patient/${p}`)).sort(),
    /** The resources a patient may see: their own and the shared ones reachable from them. */
    visibleTo: (/** @type {string} */ patient) => [...visible(patient)].map((key) => /** @type {Resource} */ (byKey.get(key))),
    /** The patients a resource belongs to (none: shared). */
    ownersOf: (/** @type {string} */ key) => [...(owners.get(key) ?? [])],
  });
}

// ---- Search predicates ---------------------------------------------------------------------------------------

/**
 * A test of one FHIRPath result item against one parameter value (a comma-separated OR list).
 * @param {string} type the SearchParameter type
 * @param {string} name
 * @param {string} value
 * @returns {(item: unknown) => boolean}
 */
function predicate(type, name, value) {
  const alternatives = value.split(",").map((v) => v.trim());
  /** @type {((item: unknown) => boolean)[]} */
  const tests = alternatives.map((v) => {
    switch (type) {
      case "token": return tokenTest(v);
      case "date": return dateTest(name, v);
      case "reference": return referenceTest(v);
      case "string": return stringTest(v);
      default: throw new Refusal(400, "not-supported", `${name}: ${type} parameters are not supported by this double`);
    }
  });
  return (item) => tests.some((t) => t(item));
}

/** @param {string} value */
function tokenTest(value) {
  const bar = value.indexOf("|");
  const system = bar < 0 ? undefined : value.slice(0, bar);
  const code = bar < 0 ? value : value.slice(bar + 1);
  /** @param {unknown} s @param {unknown} c */
  const pair = (s, c) => (system === undefined || (system === "" ? s === undefined : s === system)) && (code === "" || c === code);
  return (/** @type {unknown} */ item) => {
    if (typeof item === "string" || typeof item === "boolean" || typeof item === "number") return (system === undefined || system === "") && String(item) === code;
    if (item === null || typeof item !== "object") return false;
    const o = /** @type {Resource} */ (item);
    if (Array.isArray(o.coding)) return o.coding.some((/** @type {Resource} */ c) => pair(c.system, c.code));
    if ("code" in o || ("system" in o && !("value" in o))) return pair(o.system, o.code);
    if ("value" in o) return pair(o.system, o.value); // Identifier, ContactPoint
    return false;
  };
}

/** @param {string} value */
function referenceTest(value) {
  const wanted = referenceKey(value);
  return (/** @type {unknown} */ item) => {
    const key = referenceKey(/** @type {Resource} */ (item)?.reference);
    if (!key) return false;
    return wanted ? key === wanted : key.endsWith(`/${value}`);
  };
}

/** @param {string} value */
function stringTest(value) {
  const fold = (/** @type {string} */ s) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  const wanted = fold(value);
  /** @param {unknown} v @returns {string[]} */
  const strings = (v) => typeof v === "string" ? [v] : Array.isArray(v) ? v.flatMap(strings) : v !== null && typeof v === "object" ? Object.entries(v).filter(([k]) => !k.startsWith("_") && k !== "extension").flatMap(([, x]) => strings(x)) : [];
  return (/** @type {unknown} */ item) => strings(item).some((s) => fold(s).startsWith(wanted));
}

/**
 * @param {string} name
 * @param {string} value
 */
function dateTest(name, value) {
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(.+)$/.exec(value);
  const prefix = m?.[1] ?? "eq";
  if (["sa", "eb", "ap"].includes(prefix)) throw new Refusal(400, "not-supported", `${name}: the prefix ${prefix} is not supported by this double`);
  const search = dateRange(/** @type {string} */ (m?.[2]));
  if (!search) throw new Refusal(400, "invalid", `${name}=${value}: not a date`);
  return (/** @type {unknown} */ item) => {
    const target = typeof item === "string" ? dateRange(item) : item !== null && typeof item === "object" ? periodRange(/** @type {Resource} */ (item)) : undefined;
    if (!target) return false;
    const above = target.end > search.end;
    const below = target.start < search.start;
    const within = target.start >= search.start && target.end <= search.end;
    switch (prefix) {
      case "gt": return above;
      case "lt": return below;
      case "ge": return above || within;
      case "le": return below || within;
      case "ne": return !within;
      default: return within;
    }
  };
}

/**
 * A FHIR date, dateTime or instant as the half-open range of milliseconds its precision covers.
 * @param {string} text
 * @returns {{ start: number, end: number } | undefined}
 */
export function dateRange(text) {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const offset = zone === undefined || zone === "Z" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  const at = (/** @type {number[]} */ parts) => Date.UTC(parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 1, parts[3] ?? 0, parts[4] ?? 0, parts[5] ?? 0, parts[6] ?? 0) - offset;
  const Y = Number(y);
  if (mo === undefined) return { start: at([Y]), end: at([Y + 1]) };
  const M = Number(mo) - 1;
  if (d === undefined) return { start: at([Y, M]), end: at([Y, M + 1]) };
  const D = Number(d);
  if (h === undefined) return { start: at([Y, M, D]), end: at([Y, M, D + 1]) };
  const parts = [Y, M, D, Number(h), Number(mi)];
  if (s === undefined) return { start: at(parts), end: at([...parts.slice(0, 4), Number(mi) + 1]) };
  const ms = frac === undefined ? 0 : Math.floor(Number(`0${frac}`) * 1000);
  const start = at([...parts, Number(s), ms]);
  return { start, end: frac === undefined ? start + 1000 : start + 1 };
}

/** @param {Resource} period */
function periodRange(period) {
  if (!("start" in period) && !("end" in period)) return undefined;
  const start = typeof period.start === "string" ? dateRange(period.start)?.start : -Infinity;
  const end = typeof period.end === "string" ? dateRange(period.end)?.end : Infinity;
  return start === undefined || end === undefined ? undefined : { start, end };
}

/**
 * $lastn: per code the `max` most recent.
 * @param {Resource[]} observations
 * @param {number} max
 */
function lastN(observations, max) {
  /** @param {Resource} o */
  const when = (o) => {
    const effective = evaluateFhirPath(o, "Observation.effective")[0];
    const range = typeof effective === "string" ? dateRange(effective) : effective !== null && typeof effective === "object" ? periodRange(/** @type {Resource} */ (effective)) : undefined;
    return range ? (Number.isFinite(range.end) ? range.end : range.start) : typeof o.issued === "string" ? dateRange(o.issued)?.start ?? -Infinity : -Infinity;
  };
  /** @type {Map<string, Resource[]>} */
  const groups = new Map();
  for (const o of observations) {
    const coding = o.code?.coding?.[0];
    const key = coding ? `${coding.system ?? ""}|${coding.code ?? ""}` : JSON.stringify(o.code ?? null);
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const keep = new Set([...groups.values()].flatMap((g) => [...g].sort((a, b) => when(b) - when(a)).slice(0, max)));
  return observations.filter((o) => keep.has(o));
}

// ---- Helpers -------------------------------------------------------------------------------------------------

class Refusal extends Error {
  /**
   * @param {number} status
   * @param {string} code OperationOutcome issue code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const STATUS_TEXT = /** @type {Record<number, string>} */ ({ 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed" });

/**
 * The query as (name, value) pairs, percent-decoded; `+` is a plus (RFC 3986), not a space.
 * @param {string} search
 * @returns {[string, string][]}
 */
export function queryPairs(search) {
  const query = search.startsWith("?") ? search.slice(1) : search;
  if (query === "") return [];
  return query.split("&").filter((p) => p !== "").map((pair) => {
    const eq = pair.indexOf("=");
    const [name, value] = eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
    return [decodeLenient(name), decodeLenient(value)];
  });
}

/** @param {string} s */
function decodeLenient(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** @param {string} name @param {string} value */
function positiveInteger(name, value) {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Refusal(400, "invalid", `${name}=${value}: not a positive integer`);
  return Number(value);
}

/** @param {string} type */
function isResourceType(type) {
  const parents = /** @type {Record<string, string>} */ (stu3.type2Parent);
  for (let t = type; t; t = /** @type {string} */ (parents[t])) if (t === "Resource") return true;
  return false;
}

/**
 * Does the request ask for XML? `_format` wins over Accept; default JSON.
 * @param {string} accept
 * @param {string | undefined} format
 */
function wantsXml(accept, format) {
  if (format !== undefined) return /xml/i.test(format);
  const types = accept.split(",").map((t) => t.split(";")[0]?.trim().toLowerCase() ?? "");
  const fhirTypes = types.filter((t) => FHIR_MEDIA.test(t));
  return fhirTypes.length > 0 && /xml/.test(/** @type {string} */ (fhirTypes[0]));
}

/**
 * Does the request ask for a FHIR format at all (a Binary read then gets the FHIR Binary)?
 * @param {string} accept
 * @param {string | undefined} format
 */
function wantsFhir(accept, format) {
  if (format !== undefined) return /^(json|xml|application\/(fhir\+)?(json|xml)|text\/xml)$/i.test(format);
  return accept.split(",").some((t) => FHIR_MEDIA.test(t.split(";")[0]?.trim().toLowerCase() ?? ""));
}

/**
 * @param {number} status
 * @param {Resource} resource
 * @param {boolean} xml
 */
function fhir(status, resource, xml) {
  return new Response(xml ? writeFhirXml(resource) : JSON.stringify(resource), { status, headers: { "content-type": xml ? XML_TYPE : JSON_TYPE } });
}

/** @param {string} code @param {string} text */
function outcomeResource(code, text) {
  return { resourceType: "OperationOutcome", issue: [{ severity: "error", code, diagnostics: text }] };
}

/**
 * @param {number} status
 * @param {string} code
 * @param {string} text
 * @param {boolean} xml
 */
function outcome(status, code, text, xml) {
  return fhir(status, outcomeResource(code, text), xml);
}

function capabilityStatement() {
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: "2026-01-01",
    kind: "instance",
    software: { name: "TestScript engine: the PHR-side server double (test/testscript/server.mjs)" },
    fhirVersion: "3.0.2",
    acceptUnknown: "no",
    format: ["application/fhir+json", "application/fhir+xml"],
    rest: [{ mode: "server", security: { service: [{ text: "Bearer token per patient" }] }, interaction: [{ code: "batch" }, { code: "transaction" }] }],
  };
}
