/**
 * The Resource Server in front of a provider's own FHIR STU3 server (SPEC X-4). Every RS check has
 * already passed; here the Person is found at the upstream by the token's BSN, the Person's filter is
 * added to every search, and every resource in every answer is checked to belong to the Person before
 * it leaves. A resource that does not is dropped, counted and logged without personal data.
 */
import { log } from "../../../shared/log.ts";
import { isFhirId } from "../../../fhir/references.ts";
import type { FhirObject } from "../../../fhir/formats/json.ts";
import type { FhirBackend, FhirCall, Submission } from "../backend.ts";
import { fhirResponse, fhirTextResponse, outcome } from "../outcome.ts";
import { admitSubmission, bindToPerson, type SubmittedEntry } from "../submission.ts";
import { upstreamRequest, UpstreamFailure, type UpstreamAnswer } from "./client.ts";
import {
  COMPARTMENT,
  INCLUDABLE,
  belongsToPerson,
  binaryKeys,
  clientSearch,
  compartmentFilter,
  containedArePersons,
  isPersonReference,
  isSearchableType,
  linkStaysWithPerson,
  pageLink,
  readPage,
  referencedKeys,
  type Person,
} from "./compartment.ts";
import type { UpstreamSettings } from "./config.ts";
import { restrictedSearch, withinRestriction, type Restriction } from "./restriction.ts";
import { maskBsn } from "../../../fhir/bsn.ts";
import { responseBundleText, searchUrl, type ResponseEntry } from "../../../fhir/bundles.ts";

const PERSON_TTL_MS = 60_000;
const PERSON_CACHE_MAX = 10_000;
/** How many pages of the Person's DocumentReferences are read to find the one pointing at a Binary. */
const MAX_DOCUMENT_PAGES = 5;

type Bundle = { resourceType?: unknown; type?: unknown; total?: unknown; link?: unknown; entry?: unknown };
type Entry = { resource?: unknown; search?: { mode?: unknown } };

/** BSN -> the Person's Patient ids at one upstream, per isolate, briefly: a run makes several requests in a row. */
const persons = new Map<string, { readonly ids: ReadonlySet<string>; readonly at: number }>();

function rememberPerson(key: string, ids: ReadonlySet<string>): void {
  if (persons.size >= PERSON_CACHE_MAX) persons.delete(persons.keys().next().value!);
  persons.set(key, { ids, at: Date.now() });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function entriesOf(bundle: Bundle): Entry[] {
  return Array.isArray(bundle.entry) ? (bundle.entry.filter(isObject) as Entry[]) : [];
}

/**
 * The self link: the RS's own URL with the parameters the client sent and the upstream was asked (the Person's
 * filter and the restriction are the RS's, not the client's: left out, so no BSN or patient id shows).
 */
function selfLink(call: FhirCall, path: string, params: readonly [string, string][]): string {
  const page = call.url.searchParams.get("_page");
  return searchUrl(call.base, path, page !== null ? [["_page", page]] : params.filter(([k]) => k !== "_format"));
}

function failure(call: FhirCall, e: unknown): Response {
  if (e instanceof UpstreamFailure) {
    call.note({ upstreamFailure: e.reason });
    // AS-18: the client may repeat a resource request; "transient" says so.
    return outcome(e.status, "transient", e.status === 504 ? "the provider's FHIR server did not answer in time" : "the provider's FHIR server gave no usable answer");
  }
  throw e;
}

/**
 * An upstream 4xx (other than 401/403, the RS's own credentials, and 404) answers the client's request: the
 * client hears it as its own error (issue 15 #6), or as "try again later" for 429.
 */
function clientError(status: number): Response | undefined {
  if (status === 429) return outcome(503, "transient", "the provider's FHIR server is busy: try again later", { "retry-after": "5" });
  if (status >= 400 && status < 500) return outcome(400, "not-supported", "the provider's FHIR server does not accept this request");
  return undefined;
}

export class UpstreamBackend implements FhirBackend {
  constructor(private readonly s: UpstreamSettings) {}

  private async get(call: FhirCall, path: string, purpose: string): Promise<UpstreamAnswer> {
    return upstreamRequest(this.s, { method: "GET", path, requestId: call.requestId, purpose });
  }

  /** The Person at this upstream: their Patient resources, found by the token's BSN (never the request's). */
  private async person(call: FhirCall): Promise<Person> {
    const bsn = call.grant.subject;
    const key = `${this.s.key}\u0000${bsn}`;
    const hit = persons.get(key);
    const make = (ids: ReadonlySet<string>): Person => ({ bsn, system: this.s.patientIdentifierSystem, patientIds: ids, upstreamBase: this.s.baseUrl });
    if (hit && Date.now() - hit.at < PERSON_TTL_MS) return make(hit.ids);
    const answer = await this.get(call, `Patient?identifier=${encodeURIComponent(`${this.s.patientIdentifierSystem}|${bsn}`)}&_count=20`, "person");
    if (answer.status !== 200 || !isObject(answer.json) || answer.json.resourceType !== "Bundle") throw new UpstreamFailure(502, `the Patient lookup answered HTTP ${answer.status} without a Bundle`);
    const candidates = entriesOf(answer.json).map((e) => e.resource);
    // Only Patients that carry the BSN count, whatever the upstream did with the filter.
    const probe = make(new Set(candidates.flatMap((r) => (isObject(r) && typeof r.id === "string" ? [r.id] : []))));
    const ids = new Set(candidates.filter((r) => belongsToPerson(r, probe)).map((r) => (r as { id: string }).id));
    if (ids.size < candidates.length) this.dropped(call, "Patient", candidates.length - ids.size);
    rememberPerson(key, ids);
    return make(ids);
  }

  private dropped(call: FhirCall, type: string, count: number, reason = "not the Person's"): void {
    call.note({ dropped: count });
    // LOG-4, without personal data: which request, which type, how many, why.
    log("warn", "resource.dropped", { requestId: call.requestId ?? null, upstream: this.s.key, type, count, reason });
  }

  /**
   * AS-6: the restriction of a type for this call: the Gegevensdienst's own (shared/catalogue.ts) and the
   * deployment's (FHIR_UPSTREAMS `restrict`), both.
   */
  private restriction(call: FhirCall, type: string): Restriction {
    const own = call.view.restrict[type];
    return [...(own ? [...new URLSearchParams(own)] : []), ...(this.s.restrict.get(type) ?? [])];
  }

  /** X-4, AS-6: the Person's (contained resources too), and within the Gegevensdienst's restriction of its type. */
  private servable(call: FhirCall, r: unknown, person: Person): boolean {
    if (!isObject(r) || typeof r.resourceType !== "string") return false;
    const restriction = this.restriction(call, r.resourceType);
    return containedArePersons(r, person) && (restriction.length === 0 || withinRestriction(r, restriction));
  }

  private rsUrl(call: FhirCall, reference: string): string {
    return `${call.base}/${reference}`;
  }

  async search(call: FhirCall, type: string, operation?: "$lastn"): Promise<Response> {
    if (!isSearchableType(type)) return outcome(403, "forbidden", `${type} is outside the Person's records: reach it through _include`);
    try {
      const person = await this.person(call);
      let path = operation ? `${type}/${operation}` : type;
      let query = call.url.searchParams;
      const page = query.get("_page");
      if (page !== null) {
        if ([...query.keys()].some((k) => k !== "_page" && k !== "_format")) return outcome(400, "invalid", "_page cannot be combined with other parameters");
        const p = readPage(page, type, operation);
        if (!p.ok) return outcome(p.status, p.code, p.diagnostics);
        path = p.value.path;
        query = p.value.query;
        // The upstream link repeats the Person's filter; it must be exactly the Person's, and is set again below.
        const [param, value] = compartmentFilter(type, person);
        const repeated = query.getAll(param);
        if (repeated.some((v) => v !== value)) return outcome(403, "forbidden", "this page belongs to another search");
        query.delete(param);
      }
      const checked = clientSearch(type, query, this.s.pagingParams, operation);
      if (!checked.ok) return outcome(checked.status, checked.code, checked.diagnostics);
      let params = checked.value;
      let filter = compartmentFilter(type, person);
      if (type === "Patient") {
        // The client may narrow the Person's Patient resources by _id, never widen them.
        const asked = params.filter(([k]) => k === "_id").flatMap(([, v]) => v.split(","));
        params = params.filter(([k]) => k !== "_id");
        if (asked.length > 0) filter = ["_id", [...person.patientIds].filter((id) => asked.includes(id)).join(",")];
      }
      if (person.patientIds.size === 0 || filter[1] === "") return fhirResponse(200, { resourceType: "Bundle", type: "searchset", total: 0, link: [{ relation: "self", url: selfLink(call, path, params) }] });
      // AS-6: a Gegevensdienst sharing its FHIR server with others stays within its own resources (issue 15 #2).
      const narrowed = restrictedSearch(params, this.restriction(call, type));
      if (!narrowed.ok) return outcome(narrowed.status, narrowed.code, narrowed.diagnostics);
      const pairs = [...narrowed.value, filter];
      const upstreamQuery = new URLSearchParams(pairs.filter(([k, v], i) => pairs.findIndex(([k2, v2]) => k2 === k && v2 === v) === i)).toString();
      const answer = await this.get(call, `${path}?${upstreamQuery}`, `search ${type}`);
      if (answer.status === 400 || answer.status === 422) return outcome(400, "not-supported", "the provider's FHIR server does not support this search");
      if (answer.status === 404 || answer.status === 410) return outcome(404, "not-found", "no such resource type at this provider");
      const refused = clientError(answer.status);
      if (refused) return refused;
      if (answer.status !== 200 || !isObject(answer.json) || answer.json.resourceType !== "Bundle" || answer.json.type !== "searchset") {
        throw new UpstreamFailure(502, `the search answered HTTP ${answer.status} without a searchset Bundle`);
      }
      return fhirResponse(200, this.personalBundle(call, type, answer.json, person, selfLink(call, path, params)));
    } catch (e) {
      return failure(call, e);
    }
  }

  /** The upstream's searchset, reduced to the Person's resources, its links pointing at the RS. */
  private personalBundle(call: FhirCall, type: string, bundle: Bundle, person: Person, self: string): unknown {
    const entries = entriesOf(bundle);
    const isMatch = (e: Entry) => e.search?.mode !== "include" && e.search?.mode !== "outcome";
    const matches = entries.filter(isMatch).filter((e) => isObject(e.resource) && e.resource.resourceType === type && belongsToPerson(e.resource, person) && this.servable(call, e.resource, person));
    const referenced = referencedKeys(matches.map((e) => e.resource), this.s.baseUrl);
    const includes = entries
      .filter((e) => e.search?.mode === "include")
      .filter((e) => {
        const r = e.resource;
        if (!isObject(r) || typeof r.resourceType !== "string" || typeof r.id !== "string" || !referenced.has(`${r.resourceType}/${r.id}`)) return false;
        return (INCLUDABLE.has(r.resourceType) || belongsToPerson(r, person)) && this.servable(call, r, person);
      });
    const dropped = entries.filter((e) => e.search?.mode !== "outcome").length - matches.length - includes.length;
    if (dropped > 0) this.dropped(call, type, dropped, "not the Person's, or outside the Gegevensdienst");
    const rsTypeUrl = `${call.base}/${type}`;
    const links = (Array.isArray(bundle.link) ? bundle.link : []).flatMap((l: unknown) => {
      const link = l as { relation?: unknown; url?: unknown };
      if (typeof link.relation !== "string" || typeof link.url !== "string" || link.relation === "self") return [];
      // Issue 15 #4: a link naming another Patient would tell the client that Patient's id.
      if (!linkStaysWithPerson(link.url, type, person)) {
        log("warn", "resource.link_dropped", { requestId: call.requestId ?? null, upstream: this.s.key, type, relation: link.relation, reason: "names another Patient" });
        return [];
      }
      const url = pageLink(link.url, this.s.baseUrl, rsTypeUrl);
      return url ? [{ relation: link.relation, url }] : [];
    });
    const entry = (e: Entry, mode: string) => {
      const r = e.resource as { resourceType: string; id: string };
      // X-8: no BSN leaves, in any resource, contained ones included.
      return { fullUrl: this.rsUrl(call, `${r.resourceType}/${r.id}`), resource: maskBsn(r), search: { mode } };
    };
    return {
      resourceType: "Bundle",
      type: "searchset",
      // A total counted before resources were dropped would tell the client about them: left out then.
      ...(dropped === 0 && typeof bundle.total === "number" ? { total: bundle.total } : {}),
      link: [{ relation: "self", url: self }, ...links],
      ...(matches.length + includes.length > 0 ? { entry: [...matches.map((e) => entry(e, "match")), ...includes.map((e) => entry(e, "include"))] } : {}),
    };
  }

  async read(call: FhirCall, type: string, id: string): Promise<Response> {
    if (!isFhirId(id)) return outcome(400, "invalid", "not a FHIR id");
    const notKnown = () => outcome(404, "not-found", `${type}/${id} is not known`);
    if (type !== "Binary" && !isSearchableType(type)) return outcome(403, "forbidden", `${type} is outside the Person's records: reach it through _include`);
    try {
      const person = await this.person(call);
      // Another patient's id is not even asked for.
      if (type === "Patient" && !person.patientIds.has(id)) return notKnown();
      if (person.patientIds.size === 0) return notKnown();
      const restricted = this.restriction(call, type);
      if (restricted.length > 0) return await this.readBySearch(call, type, id, restricted, person);
      const answer = await this.get(call, `${type}/${id}`, `read ${type}`);
      if (answer.status === 404 || answer.status === 410) return notKnown();
      // Issue 15 #6: the upstream refusing the client's request is the client's error, never a 5xx.
      const refused = clientError(answer.status);
      if (refused) return refused;
      if (answer.status !== 200 || !isObject(answer.json) || answer.json.resourceType !== type || answer.json.id !== id) throw new UpstreamFailure(502, `the read answered HTTP ${answer.status} without the ${type}`);
      const mine = type === "Binary" ? await this.binaryIsPersons(call, id, answer.json, person) : belongsToPerson(answer.json, person) && this.servable(call, answer.json, person);
      if (!mine) {
        this.dropped(call, type, 1);
        return notKnown();
      }
      return fhirResponse(200, maskBsn(answer.json));
    } catch (e) {
      return failure(call, e);
    }
  }

  /** A read of a restricted type: a search by _id within the restriction and the Person's filter. */
  private async readBySearch(call: FhirCall, type: string, id: string, restricted: Restriction, person: Person): Promise<Response> {
    const narrowed = restrictedSearch([], restricted);
    const query = new URLSearchParams([["_id", id], ...(narrowed.ok ? narrowed.value : []), compartmentFilter(type, person)]).toString();
    const answer = await this.get(call, `${type}?${query}`, `read ${type}`);
    const refused = answer.status === 404 ? outcome(404, "not-found", `${type}/${id} is not known`) : clientError(answer.status);
    if (refused) return refused;
    if (answer.status !== 200 || !isObject(answer.json) || answer.json.resourceType !== "Bundle") throw new UpstreamFailure(502, `the read answered HTTP ${answer.status} without a Bundle`);
    const found = entriesOf(answer.json).map((e) => e.resource).find((r) => isObject(r) && r.resourceType === type && r.id === id);
    if (!found || !belongsToPerson(found, person) || !this.servable(call, found, person)) return outcome(404, "not-found", `${type}/${id} is not known`);
    return fhirResponse(200, maskBsn(found));
  }

  /** A Binary is the Person's when its securityContext names them, or a DocumentReference of theirs points at it. */
  private async binaryIsPersons(call: FhirCall, id: string, binary: Record<string, unknown>, person: Person): Promise<boolean> {
    if (isPersonReference(binary.securityContext, person)) return true;
    const [param, value] = compartmentFilter("DocumentReference", person);
    let path: string | undefined = `DocumentReference?${new URLSearchParams({ [param]: value, _count: "100" })}`;
    for (let page = 0; path && page < MAX_DOCUMENT_PAGES; page++) {
      const answer = await this.get(call, path, "binary owner");
      if (answer.status !== 200 || !isObject(answer.json)) return false;
      const docs = entriesOf(answer.json).map((e) => e.resource).filter((r) => isObject(r) && r.resourceType === "DocumentReference" && belongsToPerson(r, person));
      if (binaryKeys(docs, this.s.baseUrl).has(`Binary/${id}`)) return true;
      const next = (Array.isArray(answer.json.link) ? answer.json.link : []).find((l: { relation?: unknown }) => l?.relation === "next") as { url?: unknown } | undefined;
      path = typeof next?.url === "string" && next.url.startsWith(`${this.s.baseUrl}/`) ? next.url.slice(this.s.baseUrl.length + 1) : undefined;
    }
    return false;
  }

  /**
   * Delen to the provider's own FHIR server: admitted and bound to the Person as in store mode (submission.ts), the
   * Person's own Patient entries left out, then sent as a create, a transaction or a batch; the answer's locations
   * become the RS's, and what comes back is checked to be the Person's and masked (X-4, X-8).
   */
  async submit(call: FhirCall, submission: Submission): Promise<Response> {
    try {
      const person = await this.person(call);
      const patientId = [...person.patientIds].sort()[0];
      if (patientId === undefined) return outcome(422, "processing", "the Person is not known at this provider");
      const entries: readonly SubmittedEntry[] = submission.kind === "create" ? [{ resource: submission.resource }] : submission.entries;
      const at = { patientIds: person.patientIds, bsn: person.bsn, bases: [this.s.baseUrl, call.base] };
      // X-4 (issue 15 #1): every reference must stay within the Person's records; those to compartment resources are read back.
      const admitted = await admitSubmission(entries, at, (t, id) => this.isPersons(call, t, id, person));
      if (!admitted.ok) return outcome(422, "business-rule", submission.kind === "create" ? admitted.problem : `entry ${admitted.index}: ${admitted.problem}`);
      const bound = bindToPerson(entries, admitted.personEntries, at, `Patient/${patientId}`, false);
      const prefer = call.prefer.return === "minimal" ? "return=minimal" : "return=representation";
      if (submission.kind === "create") {
        const b = bound[0];
        if (!b) return outcome(422, "processing", "nothing to store");
        const answer = await upstreamRequest(this.s, { method: "POST", path: b.type, body: JSON.stringify(b.resource), requestId: call.requestId, purpose: `create ${b.type}`, prefer });
        const refused = answer.status >= 400 ? clientError(answer.status) : undefined;
        if (refused) return refused;
        if (answer.status >= 300) throw new UpstreamFailure(502, `the create answered HTTP ${answer.status}`);
        const location = this.location(call, answer.headers.get("location") ?? answer.headers.get("content-location"));
        const created = isObject(answer.json) && answer.json.resourceType === b.type && belongsToPerson(answer.json, person) && this.servable(call, answer.json, person) ? maskBsn(answer.json) : { resourceType: "OperationOutcome", issue: [{ severity: "information", code: "informational", diagnostics: "created" }] };
        return fhirResponse(201, created, location ? { location } : {});
      }
      // The Person's own Patient entries answer with their Patient as the provider has it (masked, X-8), as in store mode.
      const own = admitted.personEntries.size > 0 && call.prefer.return !== "minimal" ? await this.personsPatient(call, patientId, person) : undefined;
      const response: ResponseEntry[] = entries.map((_, index) =>
        admitted.personEntries.has(index) ? { status: "200 OK", fullUrl: `${call.base}/Patient/${patientId}`, location: `${call.base}/Patient/${patientId}`, ...(own ? { body: { json: own } } : {}) } : { status: "" },
      );
      if (bound.length > 0) {
        const bundle = { resourceType: "Bundle", type: submission.kind, entry: bound.map((b) => ({ ...(b.fullUrl ? { fullUrl: b.fullUrl } : {}), resource: b.resource, request: { method: "POST", url: b.type } })) };
        const answer = await upstreamRequest(this.s, { method: "POST", path: "", body: JSON.stringify(bundle), requestId: call.requestId, purpose: submission.kind, prefer });
        const refused = answer.status >= 400 ? clientError(answer.status) : undefined;
        if (refused) return refused;
        const expected = `${submission.kind}-response`;
        if (answer.status >= 300 || !isObject(answer.json) || answer.json.resourceType !== "Bundle" || answer.json.type !== expected) throw new UpstreamFailure(502, `the ${submission.kind} answered HTTP ${answer.status} without a ${expected}`);
        const answered = entriesOf(answer.json);
        bound.forEach((b, i) => (response[b.index] = this.responseEntry(call, answered[i], person, b.resource)));
      }
      return fhirTextResponse(200, responseBundleText(submission.kind === "batch" ? "batch-response" : "transaction-response", response));
    } catch (e) {
      return failure(call, e);
    }
  }

  /** One entry of the upstream's transaction- or batch-response, as the RS answers it. */
  private responseEntry(call: FhirCall, e: Entry | undefined, person: Person, sent: Record<string, unknown>): ResponseEntry {
    const r = (e as { response?: { status?: unknown; location?: unknown; etag?: unknown; lastModified?: unknown } } | undefined)?.response;
    const status = typeof r?.status === "string" ? r.status : "500 Internal Server Error";
    const location = typeof r?.location === "string" ? this.location(call, r.location) : undefined;
    const resource = e?.resource;
    // A Binary names no patient: the one it answers is served back only as the very document the Person sent.
    const theirs = isObject(resource) && (isEcho(resource, sent) || (belongsToPerson(resource, person) && this.servable(call, resource, person)));
    const body = theirs ? { json: maskBsn(resource) as FhirObject } : undefined;
    return {
      status,
      ...(location ? { location, fullUrl: location.replace(/\/_history\/[^/]+$/, "") } : {}),
      ...(typeof r?.etag === "string" ? { etag: r.etag } : {}),
      ...(typeof r?.lastModified === "string" ? { lastModified: r.lastModified } : {}),
      ...(body ? { body } : {}),
    };
  }

  /** The Person's Patient at the upstream, masked; undefined when it cannot be read as theirs. */
  private async personsPatient(call: FhirCall, id: string, person: Person): Promise<FhirObject | undefined> {
    const answer = await this.get(call, `Patient/${id}`, "the Person's Patient");
    const ok = answer.status === 200 && isObject(answer.json) && answer.json.resourceType === "Patient" && answer.json.id === id && belongsToPerson(answer.json, person);
    return ok ? (maskBsn(answer.json) as FhirObject) : undefined;
  }

  /** Is `type/id` at the upstream one of the Person's resources? (A Delen reference must be; issue 15 #1.) */
  private async isPersons(call: FhirCall, type: string, id: string, person: Person): Promise<boolean> {
    if (!isFhirId(id)) return false;
    const answer = await this.get(call, `${type}/${id}`, `check reference ${type}`);
    return answer.status === 200 && isObject(answer.json) && answer.json.resourceType === type && answer.json.id === id && belongsToPerson(answer.json, person);
  }

  /** An upstream Location (absolute or relative) as the RS's own URL. */
  private location(call: FhirCall, upstream: string | null): string | undefined {
    if (!upstream) return undefined;
    const m = /(?:^|\/)([A-Za-z]{1,64})\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?\/?$/.exec(upstream);
    return m ? this.rsUrl(call, `${m[1]}/${m[2]}${m[3] ?? ""}`) : undefined;
  }
}

/** Is this Binary of an answer the one that was sent (same content type and content)? */
function isEcho(resource: Record<string, unknown>, sent: Record<string, unknown>): boolean {
  return resource.resourceType === "Binary" && sent.resourceType === "Binary" && typeof sent.content === "string" && resource.content === sent.content && resource.contentType === sent.contentType;
}
