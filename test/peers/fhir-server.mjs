// A provider's own FHIR STU3 server for tests and `FHIR=upstream npm run simulate` (SPEC X-4): built on
// @asymmetrik/node-fhir-server-core (Express routing, parameter handling, FHIR content types) with its own
// in-memory data of several Persons, independent of the product's FhirStore, and a search of its own
// (fhir-search.mjs: HL7's SearchParameter expressions evaluated with fhirpath.js at query time, no index). It runs on a loopback port and
// the local network routes `fhir.<provider>.localhost` to `handle`, which stands where the provider's TLS
// terminator stands: it accepts a bearer token (static, or issued by its own client_credentials token
// endpoint with a short lifetime) or a verified client certificate (request.cf.tlsClientAuth).
//
// `behaviour` makes it misbehave in one way at a time: leak another patient's resources, go down, answer
// slowly, answer 500, malformed JSON, 10 MB, the wrong content type, or expire every token it issued; ignore
// search parameters it is sent, carry another patient's Patient as a contained resource, hand out a paging
// link that names another patient, or answer a transaction with another patient's resources.
import { randomBytes, randomUUID } from "node:crypto";
import { includedResources, searchResources } from "./fhir-search.mjs";
import { createRequire } from "node:module";
import http from "node:http";

const require = createRequire(import.meta.url);
const { initialize, constants } = require("@asymmetrik/node-fhir-server-core");
const express = require("express");

const VERSION = "3_0_1";
/** The types node-fhir-server-core 2.2.5 routes for this server (reads by id, creates, its CapabilityStatement);
 * every other STU3 type (its indexes leave out AllergyIntolerance, Observation's $lastn, ...) is routed here in
 * the same Express app. Searches of every type are routed here, before the framework's: its parameter check
 * refuses a parameter given twice (sanitize wants one string), and a period is `date=ge..&date=le..` (Nictiz's
 * self-measurement and document scripts). */
const CORE_TYPES = ["Patient", "Condition", "Observation", "MedicationStatement", "Medication", "Immunization", "Practitioner", "DocumentReference", "DocumentManifest", "Binary", "Specimen", "DiagnosticReport"];

export const DEFAULT_UPSTREAM_BEHAVIOUR = Object.freeze({
  leak: false, down: false, status: null, delayMs: 0, malformed: false, hugeBytes: 0, contentType: null, pageSize: 50,
  /** Search parameters it ignores (as a server without support for them would). */
  ignore: [],
  /** Every resource it answers carries another patient's Patient (name, BSN) as a contained resource. */
  containForeignPatient: false,
  /** Its next links name another patient. */
  foreignNextLink: false,
  /** A transaction's or batch's answer carries, per entry, another patient's resource of that type instead. */
  foreignRepresentation: false,
});

const FOREIGN_PATIENT = { resourceType: "Patient", id: "stranger", identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990020" }], name: [{ family: "de Vries", given: ["Petra"] }] };

/**
 * @param {{ host: string, resources: object[], bearerTokens?: string[], client?: { id: string, secret: string }, tokenTtlSeconds?: number, mtlsClients?: string[] }} options
 */
export async function createFhirUpstream({ host, resources, bearerTokens = [], client, tokenTtlSeconds = 300, mtlsClients = [] }) {
  const types = [...new Set([...CORE_TYPES, ...resources.map((r) => r.resourceType)])];
  const data = new Map(types.map((t) => [t, new Map()]));
  for (const r of resources) data.get(r.resourceType).set(r.id, structuredClone(r));
  const all = () => [...data.values()].flatMap((m) => [...m.values()]);
  const issued = new Map(); // token -> expiresAt
  const createdOrder = [];
  const base = `https://${host}/${VERSION}`;

  const upstream = {
    host,
    baseUrl: base,
    tokenUrl: `https://${host}/token`,
    behaviour: { ...DEFAULT_UPSTREAM_BEHAVIOUR },
    /** What arrived: method, path and query, X-Request-ID and how the caller authenticated. */
    seen: [],
    reset() {
      this.behaviour = { ...DEFAULT_UPSTREAM_BEHAVIOUR };
    },
    /** Every token issued so far stops working (the credential expires mid-run). */
    expireTokens() {
      for (const t of issued.keys()) issued.set(t, 0);
    },
    /** What was created through its API, in order (not what it was started with). */
    created: () => [...createdOrder],
    async handle(request) {
      const url = new URL(request.url);
      const b = upstream.behaviour;
      if (url.pathname === "/token" && request.method === "POST") return token(request);
      const auth = authenticate(request);
      upstream.seen.push({ method: request.method, path: `${url.pathname}${url.search}`, requestId: request.headers.get("x-request-id"), auth });
      if (!auth) return new Response(JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "login" }] }), { status: 401, headers: { "content-type": "application/fhir+json" } });
      if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
      if (b.down) return new Response("service unavailable\n", { status: 503 });
      if (b.status) return new Response(JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "exception" }] }), { status: b.status, headers: { "content-type": "application/fhir+json" } });
      if (b.malformed) return new Response('{"resourceType":"Bundle","type":"searchset","entry":[{"resource":', { status: 200, headers: { "content-type": "application/fhir+json" } });
      if (b.hugeBytes) return new Response(`{"resourceType":"Bundle","type":"searchset","entry":[],"padding":"${"x".repeat(b.hugeBytes)}"}`, { status: 200, headers: { "content-type": "application/fhir+json" } });
      if (b.contentType) return new Response("<html><body>login</body></html>", { status: 200, headers: { "content-type": b.contentType } });
      const headers = new Headers(request.headers);
      headers.set("x-forwarded-proto", "https");
      // Node's fetch would decode a compressed answer but keep its Content-Encoding: ask for none.
      headers.set("accept-encoding", "identity");
      headers.set("x-forwarded-host", host);
      const init = { method: request.method, headers, redirect: "manual" };
      if (request.method !== "GET" && request.method !== "HEAD") init.body = await request.arrayBuffer();
      return fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, init);
    },
    async dispose() {
      await new Promise((r) => server.close(r));
    },
  };

  function authenticate(request) {
    const tls = request.cf?.tlsClientAuth;
    const cn = /CN=([^,]+)/.exec(tls?.certSubjectDN ?? "")?.[1];
    if (tls?.certVerified === "SUCCESS" && mtlsClients.includes(cn)) return `mtls:${cn}`;
    const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    if (bearer && bearerTokens.includes(bearer)) return "bearer";
    if (bearer && (issued.get(bearer) ?? 0) > Date.now()) return "client_credentials";
    return undefined;
  }

  async function token(request) {
    const basic = /^Basic (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    const [id, secret] = basic ? Buffer.from(basic, "base64").toString("utf8").split(":").map(decodeURIComponent) : [];
    const form = new URLSearchParams(await request.text());
    if (!client || id !== client.id || secret !== client.secret || form.get("grant_type") !== "client_credentials") {
      return new Response(JSON.stringify({ error: "invalid_client" }), { status: 401, headers: { "content-type": "application/json" } });
    }
    const t = randomBytes(24).toString("base64url");
    issued.set(t, Date.now() + tokenTtlSeconds * 1000);
    return new Response(JSON.stringify({ access_token: t, token_type: "Bearer", expires_in: tokenTtlSeconds }), { status: 200, headers: { "content-type": "application/json", "cache-control": "no-store" } });
  }

  /** The server's own search (fhir-search.mjs), HAPI-style paging; another patient's data if told to leak. */
  function search(type, rawQuery, lastn = false) {
    const query = Object.fromEntries(Object.entries(rawQuery).filter(([k]) => !upstream.behaviour.ignore.includes(k)));
    const pairs = Object.entries(query).flatMap(([k, v]) => [].concat(v).map((x) => [k, String(x)]));
    const result = searchResources(all(), type, pairs, { lastn });
    if (result.error) return { status: 400, body: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-supported", diagnostics: result.error }] } };
    const found = result.found;
    if (upstream.behaviour.leak && type !== "Patient") {
      const foreign = [...data.get(type).values()].find((r) => !found.includes(r));
      if (foreign) found.push(foreign);
    }
    const pageSize = Number(query._count ?? upstream.behaviour.pageSize);
    const offset = Number(query._getpagesoffset ?? 0);
    const page = found.slice(offset, offset + pageSize);
    const includes = includedResources(all(), page, pairs);
    if (upstream.behaviour.leak && [].concat(query._include ?? []).length > 0) {
      const stranger = [...data.get("Practitioner").values()].find((p) => !includes.includes(p));
      if (stranger) includes.push(stranger);
    }
    const self = new URLSearchParams(Object.entries(query).flatMap(([k, v]) => [].concat(v).map((x) => [k, x])));
    const link = [{ relation: "self", url: `${base}/${type}?${self}` }];
    if (offset + pageSize < found.length) {
      self.set("_getpagesoffset", String(offset + pageSize));
      self.set("_count", String(pageSize));
      let next = `${base}/${type}?${self}`;
      if (upstream.behaviour.foreignNextLink) next = next.replace(/Patient%2F[A-Za-z0-9\-.]+/g, "Patient%2Fpat-devries");
      link.push({ relation: "next", url: next });
    }
    const dressed = (r) => (upstream.behaviour.containForeignPatient && r.resourceType !== "Patient" ? { ...r, contained: [FOREIGN_PATIENT] } : r);
    return { status: 200, body: {
      resourceType: "Bundle",
      id: randomUUID(),
      type: "searchset",
      total: found.length,
      link,
      entry: [...page.map((r) => ({ fullUrl: `${base}/${type}/${r.id}`, resource: dressed(r), search: { mode: "match" } })), ...includes.map((r) => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r, search: { mode: "include" } }))],
    } };
  }

  function store(resource, id = randomUUID()) {
    const saved = { ...resource, id, meta: { ...resource.meta, versionId: "1", lastUpdated: new Date().toISOString() } };
    data.get(saved.resourceType)?.set(id, saved);
    createdOrder.push(saved);
    return saved;
  }

  const service = (type) => ({
    searchById: async (args) => {
      const r = data.get(type).get(args.id);
      return r && upstream.behaviour.containForeignPatient && type !== "Patient" ? { ...r, contained: [FOREIGN_PATIENT] } : (r ?? null);
    },
    create: async (_args, { req }) => ({ id: store(JSON.parse(req.body ?? "{}")).id, resource_version: "1" }),
  });

  const app = express();
  app.disable("x-powered-by");
  // Raw text for creates and transactions (the framework's own parser would want its content-type list).
  app.use(express.text({ type: ["application/fhir+json", "application/json"], limit: "16mb" }));
  // Transactions at the base, which the framework leaves to the implementer.
  app.post(`/${VERSION}`, (req, res) => {
    const bundle = JSON.parse(req.body);
    if (bundle.resourceType !== "Bundle" || (bundle.type !== "transaction" && bundle.type !== "batch")) return res.status(400).type("application/fhir+json").send({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "invalid" }] });
    // Transaction semantics: references to another entry's fullUrl become the id given to that entry.
    const ids = new Map(bundle.entry.filter((e) => e.fullUrl).map((e) => [e.fullUrl, { type: e.resource.resourceType, id: randomUUID() }]));
    const text = JSON.stringify(bundle.entry.map((e) => e.resource)).replace(/"reference":"(urn:(?:uuid|oid):[^"]+)"/g, (m, url) => (ids.has(url) ? `"reference":"${ids.get(url).type}/${ids.get(url).id}"` : m));
    const representation = (req.get("prefer") ?? "").includes("return=representation");
    const entry = JSON.parse(text).map((r, i) => {
      const saved = store(r, ids.get(bundle.entry[i].fullUrl)?.id ?? randomUUID());
      const shown = upstream.behaviour.foreignRepresentation ? [...data.get(saved.resourceType).values()].find((x) => /devries/.test(x.id)) ?? saved : saved;
      return { ...(representation ? { resource: shown } : {}), response: { status: "201 Created", location: `${saved.resourceType}/${saved.id}/_history/1` } };
    });
    res.status(200).type("application/fhir+json").send({ resourceType: "Bundle", type: `${bundle.type}-response`, entry });
  });
  // A RegExp: Express 4's path syntax would read `$` as the end of the pattern.
  app.get(new RegExp(`^/${VERSION}/Observation/\\$lastn$`), (req, res) => {
    const r = search("Observation", req.query, true);
    res.status(r.status).type("application/fhir+json").send(r.body);
  });
  for (const type of types) {
    app.get(`/${VERSION}/${type}`, (req, res) => {
      const r = search(type, req.query);
      res.status(r.status).type("application/fhir+json").send(r.body);
    });
  }
  for (const type of types.filter((t) => !CORE_TYPES.includes(t))) {
    app.get(`/${VERSION}/${type}/:id`, (req, res) => {
      const r = data.get(type).get(req.params.id);
      return r ? res.type("application/fhir+json").send(r) : res.status(404).type("application/fhir+json").send({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-found" }] });
    });
  }
  initialize(
    {
      profiles: Object.fromEntries(CORE_TYPES.map((t) => [t.toLowerCase(), { service: service(t), versions: [constants.VERSIONS["3_0_1"]] }])),
      server: { port: 0 },
      logging: { level: "error" },
    },
    app,
  );
  const server = http.createServer(app);
  const port = await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
  return upstream;
}
