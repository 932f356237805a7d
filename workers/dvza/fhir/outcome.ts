/** FHIR responses of the Resource Server: JSON, never cached, never sniffed. */

export const FHIR_JSON = "application/fhir+json; charset=utf-8";

export function fhirResponse(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": FHIR_JSON, "cache-control": "no-store", "x-content-type-options": "nosniff", ...extra },
  });
}

/** An OperationOutcome (FHIR STU3) for every refusal the client can act on. */
export function outcome(status: number, code: string, diagnostics: string, extra: Record<string, string> = {}): Response {
  return fhirResponse(status, { resourceType: "OperationOutcome", issue: [{ severity: "error", code, diagnostics }] }, extra);
}
