/**
 * The Resource Server's answers and request bodies in the format the client uses (SPEC G-6): backends answer in
 * FHIR JSON; here that becomes FHIR XML when asked (workers/fhir/formats/xml.ts), a body in FHIR XML or JSON is
 * read (bounded, strict parser, exact decimals), and a Binary is turned into the document it carries.
 */
import { BodyTooLargeError, readTextCapped } from "../../shared/http/body.ts";
import { FhirFormatError, parseFhirJson, type FhirObject } from "../../fhir/formats/json.ts";
import { FHIR_XML, type FhirFormat } from "../../fhir/formats/negotiate.ts";
import { fhirJsonToXml, fhirXmlToJson } from "../../fhir/formats/xml.ts";
import { outcome } from "./outcome.ts";

/** A FHIR JSON answer as FHIR XML; anything else (a bare 403, a document) as it is. */
export async function inFormat(response: Response, format: FhirFormat): Promise<Response> {
  if (format === "json" || !(response.headers.get("content-type") ?? "").startsWith("application/fhir+json")) return response;
  const headers = new Headers(response.headers);
  headers.set("content-type", FHIR_XML);
  const text = await response.text();
  if (text === "") return new Response(null, { status: response.status, headers });
  return new Response(fhirJsonToXml(parseFhirJson(text)), { status: response.status, headers });
}

export type Body = { readonly ok: true; readonly resource: FhirObject } | { readonly ok: false; readonly status: 400 | 413; readonly code: string; readonly problem: string };

export async function readBody(request: Request, format: FhirFormat, maxBytes: number): Promise<Body> {
  let text: string;
  try {
    text = await readTextCapped(request, maxBytes);
  } catch (e) {
    if (e instanceof BodyTooLargeError) return { ok: false, status: 413, code: "too-costly", problem: e.message };
    return { ok: false, status: 400, code: "structure", problem: "the body could not be read as UTF-8" };
  }
  try {
    return { ok: true, resource: format === "json" ? parseFhirJson(text) : fhirXmlToJson(text) };
  } catch (e) {
    if (e instanceof FhirFormatError) return { ok: false, status: 400, code: "structure", problem: `the body is not valid FHIR ${format.toUpperCase()}: ${e.message}` };
    throw e;
  }
}

/** A FHIR Binary (JSON) as the document itself, with its own content type (the PDF/A scripts' `get`). */
export async function rawBinary(read: Response): Promise<Response> {
  const binary = parseFhirJson(await read.text()) as { contentType?: unknown; content?: unknown };
  if (typeof binary.contentType !== "string" || typeof binary.content !== "string") return outcome(404, "not-found", "this Binary holds no document");
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = Uint8Array.from(atob(binary.content), (ch) => ch.charCodeAt(0));
  } catch {
    return outcome(500, "exception", "the stored document is not valid base64");
  }
  const headers = new Headers({ "content-type": binary.contentType, "cache-control": "no-store", "x-content-type-options": "nosniff", "content-disposition": "attachment" });
  for (const h of ["etag", "last-modified"]) {
    const v = read.headers.get(h);
    if (v) headers.set(h, v);
  }
  return new Response(bytes, { status: 200, headers });
}
