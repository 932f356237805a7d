/**
 * The Person's own documents as a `transaction` Bundle, as Nictiz's PDF/A 3.0 PHR send scripts expect (SPEC G-6;
 * IHE MHD's Provide Document Bundle): the Patient, one DocumentManifest (the submission set), per document a
 * DocumentReference and the Binary it points at, all by `urn:uuid` fullUrl, no resource ids, profiles on all but
 * the Binary, references with display.
 */
import { base64Encode } from "../../shared/base64.ts";
import { DOCUMENT_TYPES, type OwnDocument } from "../own-data.ts";
import type { PgoPerson } from "../persons.ts";
import { patientOf, patientReference } from "./patient.ts";

const MHD = "http://nictiz.nl/fhir/StructureDefinition/IHE.MHD.";
/** The submission set's type, as in Nictiz's PDF/A fixtures. */
const SUBMISSION_SET = { coding: [{ system: "http://snomed.info/sct", code: "371535009", display: "verslag van overdracht" }] };

export interface DocumentToSend {
  readonly doc: OwnDocument;
  readonly content: Uint8Array;
}

/** `source` names the PGO (its https origin); `now` dates the submission set. */
export function documentsBundle(docs: readonly DocumentToSend[], person: Pick<PgoPerson, "naam">, source: string, now: Date): Record<string, unknown> {
  const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
  const who = patientReference(patientUrl, person);
  const parts = docs.map(({ doc, content }) => {
    const type = DOCUMENT_TYPES.find((t) => t.code === doc.type) ?? DOCUMENT_TYPES[0]!;
    const binaryUrl = `urn:uuid:${crypto.randomUUID()}`;
    const referenceUrl = `urn:uuid:${crypto.randomUUID()}`;
    const reference = {
      resourceType: "DocumentReference",
      meta: { profile: [`${MHD}Minimal.DocumentReference`] },
      masterIdentifier: { system: "urn:ietf:rfc:3986", value: `urn:uuid:${doc.id}` },
      status: "current",
      type: { coding: [{ system: type.system, code: type.code, display: type.display }] },
      subject: who,
      indexed: doc.uploadedAt,
      author: [who],
      description: doc.title,
      content: [{ attachment: { contentType: doc.contentType, language: "nl", url: binaryUrl, size: doc.size, title: doc.title } }],
    };
    return { doc, binaryUrl, referenceUrl, reference, binary: { resourceType: "Binary", contentType: doc.contentType, content: base64Encode(content) } };
  });
  const manifest = {
    resourceType: "DocumentManifest",
    meta: { profile: [`${MHD}DocumentManifest`] },
    masterIdentifier: { system: "urn:ietf:rfc:3986", value: `urn:uuid:${crypto.randomUUID()}` },
    status: "current",
    type: SUBMISSION_SET,
    subject: who,
    created: now.toISOString(),
    author: [who],
    source,
    description: parts.length === 1 ? parts[0]!.doc.title : `${parts.length} documenten`,
    content: parts.map((p) => ({ pReference: { reference: p.referenceUrl, display: p.doc.title } })),
  };
  return {
    resourceType: "Bundle",
    type: "transaction",
    entry: [
      { fullUrl: patientUrl, resource: patientOf(person), request: { method: "POST", url: "Patient" } },
      { fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: manifest, request: { method: "POST", url: "DocumentManifest" } },
      ...parts.map((p) => ({ fullUrl: p.referenceUrl, resource: p.reference, request: { method: "POST", url: "DocumentReference" } })),
      ...parts.map((p) => ({ fullUrl: p.binaryUrl, resource: p.binary, request: { method: "POST", url: "Binary" } })),
    ],
  };
}

/** Largest document the PGO takes (its Binary, base64 in JSON, must fit a provider's request limit). */
export const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

export type DocumentCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Is this a PDF/A document? The PDF header, and the PDF/A identification schema in its XMP metadata (ISO 19005:
 * `pdfaid:part`, as element or attribute). A full conformance check (veraPDF) is left to the provider.
 */
export function checkPdfA(bytes: Uint8Array): DocumentCheck {
  if (bytes.byteLength === 0) return { ok: false, reason: "Het bestand is leeg." };
  if (bytes.byteLength > MAX_DOCUMENT_BYTES) return { ok: false, reason: `Het bestand is groter dan ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB.` };
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 8));
  if (!/^%PDF-[12]\.\d/.test(head)) return { ok: false, reason: "Het bestand is geen PDF-document." };
  const text = new TextDecoder("latin1").decode(bytes);
  if (!/pdfaid:part\s*(>|=\s*["'])\s*[1-4]/.test(text)) return { ok: false, reason: "Het bestand is een PDF, maar geen PDF/A (het archiefformaat dat zorgaanbieders aannemen)." };
  return { ok: true };
}
