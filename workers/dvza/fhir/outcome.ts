/** FHIR responses of the Resource Server: FHIR JSON (resource.ts converts to XML where asked), never cached, never sniffed. */
import { stringifyFhirJson, type FhirJson } from "../../fhir/formats/json.ts";
import { FHIR_JSON } from "../../fhir/formats/negotiate.ts";

export { FHIR_JSON };

const HEADERS = { "content-type": FHIR_JSON, "cache-control": "no-store", "x-content-type-options": "nosniff" } as const;

/** A FHIR JSON body from JSON text that is already exact (the store's texts, a built Bundle). */
export function fhirTextResponse(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { ...HEADERS, ...extra } });
}

export function fhirResponse(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return fhirTextResponse(status, stringifyFhirJson(body as FhirJson), extra);
}

/** An OperationOutcome (FHIR STU3) for every refusal the client can act on. */
export function outcome(status: number, code: string, diagnostics: string, extra: Record<string, string> = {}): Response {
  return fhirResponse(status, { resourceType: "OperationOutcome", issue: [{ severity: "error", code, diagnostics }] }, extra);
}
