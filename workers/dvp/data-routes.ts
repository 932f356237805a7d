/**
 * The Person's data at the PGO (SPEC G-1, P-1, issue 17): what they collected, shown per zib (/gegevens, a
 * collection, its documents), what they keep to share (/metingen, /documenten), and the same as a JSON API for
 * the PGO's own app (/api/...), on the same session (state-changing calls carry X-CSRF-Token, S-3).
 *
 * A document is served as a download (Content-Disposition: attachment) or, asked for, inline under a CSP that
 * allows nothing but the document itself; never as HTML of this origin.
 */
import type { PersonStore } from "../../durable-objects/person-store.ts";
import { base64Decode } from "../shared/base64.ts";
import { errorPage } from "../shared/html/page.ts";
import { BodyTooLargeError, readBytesCapped } from "../shared/http/body.ts";
import { csrfOk, jsonAnswer, readForm, readJson, type Ctx, type DvpApp } from "./http.ts";
import { parseMeasurement } from "./measurement.ts";
import { gegevensdienstNaam, offerings, sharesOf } from "./offerings.ts";
import { DOCUMENT_TYPES } from "./own-data.ts";
import { collectionPage, documentsPage, measurementsPage, overviewPage } from "./pages.ts";
import type { FlowPayload } from "./run.ts";
import { checkPdfA, MAX_DOCUMENT_BYTES } from "./share/documents.ts";
import { personStore } from "./stores.ts";
import { csrfFor } from "./session.ts";
import type { Hono } from "hono";
import type { ObjectStub } from "../shared/ports.ts";

/** At most this many measurements or documents in one Delen run. */
const MAX_SHARED = 500;

type Store = ObjectStub<PersonStore>;

const store = (c: Ctx): Store => personStore(c.env, c.get("session").personId);

/** YYYY-MM-DD as the start of that day in UTC, or its end (exclusive) for `tot`. */
function dayBound(value: string | null | undefined, end: boolean): string | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const d = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(d) ? undefined : new Date(d + (end ? 86_400_000 : 0)).toISOString();
}

/**
 * What a Delen run is to send, chosen on the form (issue 17 #2): documents by id; measurements by id, in a
 * period, or entered on the spot (the form of one measurement). Decided when the run starts, so the consent
 * the Person gives at the provider covers exactly these.
 */
export async function shareChoice(c: Ctx, person: Store, gd: string, form: URLSearchParams): Promise<FlowPayload | Response> {
  const kind = sharesOf(gd);
  if (!kind) return errorPage(400, "Niet beschikbaar", "Deze gegevensdienst kan hier niet worden gedeeld.");
  let ids: string[];
  if (kind === "documents") {
    const asked = new Set(form.getAll("d"));
    ids = (await person.documents([...asked])).map((d) => d.id);
  } else {
    const asked = form.getAll("m");
    const van = dayBound(form.get("van"), false);
    const tot = dayBound(form.get("tot"), true);
    if (asked.length > 0) ids = (await person.measurements({ ids: asked })).map((m) => m.id);
    else if (van || tot) ids = (await person.measurements({ ...(van ? { van } : {}), ...(tot ? { tot } : {}) })).map((m) => m.id);
    else {
      const m = parseMeasurement((n) => form.get(n), new Date());
      if (!m) return errorPage(400, "Ongeldige meting", "Vul geldige meetwaarden in.");
      ids = [(await person.addMeasurement(m)).id];
    }
  }
  if (ids.length === 0) return errorPage(400, "Niets gekozen", kind === "documents" ? "Kies een of meer documenten om te delen." : "Kies een of meer metingen om te delen.");
  if (ids.length > MAX_SHARED) return errorPage(400, "Te veel gekozen", `Deel hoogstens ${MAX_SHARED} tegelijk.`);
  return { share: kind, ids };
}

async function shareTargets(c: Ctx, kind: "measurements" | "documents") {
  return (await offerings(c.env)).filter((o) => o.useCase === "delen" && sharesOf(o.gegevensdienstId) === kind);
}

/** A filename for Content-Disposition: letters, digits and a few marks, else "document". */
function filename(title: string): string {
  const safe = title.normalize("NFKD").replace(/[^\w .-]+/g, "").trim().slice(0, 80);
  return `${safe || "document"}.pdf`;
}

/** A document's bytes as a download, or inline under a CSP that lets nothing else load or run. */
function documentResponse(bytes: Uint8Array<ArrayBuffer>, contentType: string, title: string, inline: boolean): Response {
  const pdf = contentType === "application/pdf";
  return new Response(bytes, {
    headers: {
      "content-type": pdf ? "application/pdf" : "application/octet-stream",
      "content-disposition": `${inline && pdf ? "inline" : "attachment"}; filename="${filename(title)}"`,
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "cross-origin-resource-policy": "same-origin",
    },
  });
}

interface FhirLike {
  resourceType?: unknown;
  id?: unknown;
  contentType?: unknown;
  content?: unknown;
}

function parsed(json: string): FhirLike | undefined {
  try {
    return JSON.parse(json) as FhirLike;
  } catch {
    return undefined;
  }
}

/** A multipart upload read within a bound, then parsed. */
async function readUpload(c: Ctx): Promise<FormData | Response> {
  const type = c.req.header("content-type") ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) return errorPage(415, "Ongeldig formulier", "Verwacht een formulier met een bestand.");
  try {
    const bytes = await readBytesCapped(c.req.raw.body, MAX_DOCUMENT_BYTES + 64 * 1024);
    return await new Response(bytes, { headers: { "content-type": type } }).formData();
  } catch (e) {
    return e instanceof BodyTooLargeError ? errorPage(413, "Bestand te groot", `Een document mag hoogstens ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB zijn.`) : errorPage(400, "Ongeldig formulier", "Het formulier kon niet worden gelezen.");
  }
}

/** A document the Person adds: checked to be PDF/A (issue 17 #3), then kept. */
async function addDocument(c: Ctx, title: string, type: string, bytes: Uint8Array): Promise<{ ok: true; id: string } | { ok: false; status: number; reason: string }> {
  const t = title.trim();
  if (t === "" || t.length > 200) return { ok: false, status: 400, reason: "Geef het document een titel (hoogstens 200 tekens)." };
  if (!DOCUMENT_TYPES.some((d) => d.code === type)) return { ok: false, status: 400, reason: "Kies het soort document." };
  const check = checkPdfA(bytes);
  if (!check.ok) return { ok: false, status: bytes.byteLength > MAX_DOCUMENT_BYTES ? 413 : 422, reason: check.reason };
  const doc = await store(c).addDocument({ title: t, type, contentType: "application/pdf" }, bytes);
  return { ok: true, id: doc.id };
}

export function pgoDataRoutes(app: Hono<DvpApp>): void {
  // --- what was collected ---------------------------------------------------------------------------

  app.get("/gegevens", async (c) => {
    const s = store(c);
    const items = [];
    for (const summary of await s.list()) {
      if (summary.useCase !== "verzamelen" || summary.outcome !== "completed" || summary.deletedAt) continue;
      const detail = await s.get(summary.id);
      if (detail) items.push({ detail, gdNaam: await gegevensdienstNaam(c.env, detail.gegevensdienstId) });
    }
    return overviewPage(c.env.DVP_NAME, items);
  });

  app.get("/collections/:id", async (c) => {
    const d = await store(c).get(c.req.param("id"));
    if (!d) return errorPage(404, "Niet gevonden", "Deze gegevens bestaan niet (meer).");
    return collectionPage(c.env.DVP_NAME, d, await gegevensdienstNaam(c.env, d.gegevensdienstId), await csrfFor(c.get("session")));
  });

  app.get("/collections/:id/binary/:bid", async (c) => {
    const d = await store(c).get(c.req.param("id"));
    const bid = c.req.param("bid");
    const binary = d?.resources.map(parsed).find((r) => r?.resourceType === "Binary" && r.id === bid);
    const bytes = typeof binary?.content === "string" ? base64Decode(binary.content) : undefined;
    if (!binary || !bytes) return errorPage(404, "Niet gevonden", "Dit document is niet (meer) beschikbaar.");
    return documentResponse(bytes, String(binary.contentType ?? ""), `document-${bid}`, c.req.query("weergave") === "inline");
  });

  // --- the Person's own measurements ----------------------------------------------------------------

  app.get("/metingen", async (c) => measurementsPage(c.env.DVP_NAME, await csrfFor(c.get("session")), await store(c).measurements(), await shareTargets(c, "measurements")));

  app.post("/metingen", async (c) => {
    const form = await readForm(c);
    if (form instanceof Response) return form;
    if (!(await csrfOk(c, form))) return errorPage(403, "Ongeldig formulier", "Dit formulier hoort niet bij uw sessie.");
    const m = parseMeasurement((n) => form.get(n), new Date());
    if (!m) return errorPage(400, "Ongeldige meting", "Vul geldige meetwaarden in (een bovendruk hoger dan de onderdruk, een tijd die niet in de toekomst ligt).");
    await store(c).addMeasurement(m);
    return new Response(null, { status: 303, headers: { location: "/metingen", "cache-control": "no-store" } });
  });

  app.post("/metingen/:id/delete", async (c) => {
    const form = await readForm(c);
    if (form instanceof Response) return form;
    if (!(await csrfOk(c, form))) return errorPage(403, "Ongeldig formulier", "Dit formulier hoort niet bij uw sessie.");
    await store(c).deleteMeasurement(c.req.param("id"));
    return new Response(null, { status: 303, headers: { location: "/metingen", "cache-control": "no-store" } });
  });

  // --- the Person's own documents -------------------------------------------------------------------

  app.get("/documenten", async (c) => documentsPage(c.env.DVP_NAME, await csrfFor(c.get("session")), await store(c).documents(), await shareTargets(c, "documents")));

  app.post("/documenten", async (c) => {
    const form = await readUpload(c);
    if (form instanceof Response) return form;
    const csrf = form.get("csrf");
    if (!(await csrfOk(c, new URLSearchParams({ csrf: typeof csrf === "string" ? csrf : "" })))) return errorPage(403, "Ongeldig formulier", "Dit formulier hoort niet bij uw sessie.");
    // workers-types' FormData is the pre-2021 one (strings only); the runtime's gives File for a file field.
    const file = form.get("file") as unknown as File | string | null;
    if (!file || typeof file === "string") return errorPage(400, "Geen bestand", "Kies een PDF/A-document.");
    const added = await addDocument(c, String(form.get("title") ?? ""), String(form.get("type") ?? ""), new Uint8Array(await file.arrayBuffer()));
    if (!added.ok) return errorPage(added.status, "Document niet toegevoegd", added.reason);
    return new Response(null, { status: 303, headers: { location: "/documenten", "cache-control": "no-store" } });
  });

  app.get("/documenten/:id", async (c) => {
    const s = store(c);
    const [doc] = await s.documents([c.req.param("id")]);
    const bytes = doc ? await s.documentContent(doc.id) : null;
    if (!doc || !bytes) return errorPage(404, "Niet gevonden", "Dit document bestaat niet (meer).");
    return documentResponse(bytes, doc.contentType, doc.title, c.req.query("weergave") === "inline");
  });

  app.post("/documenten/:id/delete", async (c) => {
    const form = await readForm(c);
    if (form instanceof Response) return form;
    if (!(await csrfOk(c, form))) return errorPage(403, "Ongeldig formulier", "Dit formulier hoort niet bij uw sessie.");
    await store(c).deleteDocument(c.req.param("id"));
    return new Response(null, { status: 303, headers: { location: "/documenten", "cache-control": "no-store" } });
  });

  // --- the JSON API for the PGO's own app -----------------------------------------------------------

  /** The session's CSRF token, for the X-CSRF-Token header of the app's state-changing calls. */
  app.get("/api/sessie", async (c) => jsonAnswer({ person: { naam: c.get("person").naam }, csrf: await csrfFor(c.get("session")) }));

  /** Collected data as FHIR: one collection Bundle of the newest completed collection per provider (and Gegevensdienst). */
  app.get("/api/gegevens", async (c) => {
    const gd = c.req.query("gegevensdienst");
    const s = store(c);
    const newest = new Map<string, string>();
    for (const summary of await s.list()) {
      if (summary.useCase !== "verzamelen" || summary.outcome !== "completed" || summary.deletedAt) continue;
      if (gd && summary.gegevensdienstId !== gd) continue;
      const key = `${summary.zorgaanbieder}~${summary.gegevensdienstId}`;
      if (!newest.has(key)) newest.set(key, summary.id);
    }
    const collections = [];
    for (const id of newest.values()) {
      const d = await s.get(id);
      if (!d) continue;
      collections.push({
        id: d.id,
        zorgaanbieder: d.zorgaanbieder,
        gegevensdienstId: d.gegevensdienstId,
        at: d.at,
        bundle: { resourceType: "Bundle", type: "collection", timestamp: d.at, entry: d.resources.map((r) => ({ resource: JSON.parse(r) as unknown })) },
      });
    }
    return jsonAnswer({ collections });
  });

  app.get("/api/metingen", async (c) => jsonAnswer({ measurements: await store(c).measurements() }));

  app.post("/api/metingen", async (c) => {
    if (!(await csrfOk(c))) return jsonAnswer({ error: "X-CSRF-Token required" }, 403);
    const body = await readJson(c);
    if (body instanceof Response) return body;
    const m = parseMeasurement((n) => (body[n] === undefined ? undefined : String(body[n])), new Date());
    if (!m) return jsonAnswer({ error: "not a valid measurement" }, 400);
    return jsonAnswer(await store(c).addMeasurement(m), 201);
  });

  app.get("/api/documenten", async (c) => jsonAnswer({ documents: await store(c).documents() }));

  /** The PDF/A itself as the body; title and type in the query. */
  app.post("/api/documenten", async (c) => {
    if (!(await csrfOk(c))) return jsonAnswer({ error: "X-CSRF-Token required" }, 403);
    if ((c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase() !== "application/pdf") return jsonAnswer({ error: "the body must be application/pdf" }, 415);
    let bytes: Uint8Array;
    try {
      bytes = await readBytesCapped(c.req.raw.body, MAX_DOCUMENT_BYTES);
    } catch (e) {
      if (e instanceof BodyTooLargeError) return jsonAnswer({ error: `larger than ${MAX_DOCUMENT_BYTES} bytes` }, 413);
      throw e;
    }
    const added = await addDocument(c, c.req.query("title") ?? "", c.req.query("type") ?? "", bytes);
    return added.ok ? jsonAnswer({ id: added.id }, 201) : jsonAnswer({ error: added.reason }, added.status);
  });
}
