/**
 * Reading a Resource Server's answer (SPEC G-6): FHIR JSON or FHIR XML by its Content-Type (the STU3 MIME types
 * and their aliases), bounded in size, parsed strictly; a searchset's resources and its next link.
 */
import { FhirFormatError, parseFhirJson, type FhirObject } from "../../fhir/formats/json.ts";
import { formatOfType } from "../../fhir/formats/negotiate.ts";
import { fhirXmlToJson } from "../../fhir/formats/xml.ts";
import { BodyTooLargeError, readTextCapped } from "../../shared/http/body.ts";

/** One answer is at most this big (a BgZ searchset with documents stays far below it). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** What the DVP asks for: FHIR JSON first, FHIR XML understood as well. */
export const ACCEPT = "application/fhir+json, application/fhir+xml;q=0.9";

export class AnswerError extends Error {
  override readonly name = "AnswerError";
}

/** The answer as a FHIR resource (JSON form, exact decimals), whichever of the two formats it came in. */
export async function readResource(response: Response): Promise<FhirObject> {
  const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const format = formatOfType(type) ?? (type === "application/json" ? "json" : type === "application/xml" || type === "text/xml" ? "xml" : undefined);
  if (!format) throw new AnswerError(`the answer is not FHIR (Content-Type ${type.slice(0, 60) || "missing"})`);
  let text: string;
  try {
    text = await readTextCapped(response, MAX_ANSWER_BYTES);
  } catch (e) {
    throw new AnswerError(e instanceof BodyTooLargeError ? `the answer exceeds ${MAX_ANSWER_BYTES} bytes` : "the answer is not UTF-8");
  }
  try {
    return format === "json" ? parseFhirJson(text) : fhirXmlToJson(text);
  } catch (e) {
    if (e instanceof FhirFormatError) throw new AnswerError(`the answer is not valid FHIR ${format.toUpperCase()}: ${e.message}`);
    throw e;
  }
}

export interface Searchset {
  readonly resources: FhirObject[];
  /** The next page, when the server has one. */
  readonly next?: string;
}

/** A searchset Bundle's resources (match and include alike) and its next link. */
export function searchsetOf(bundle: FhirObject): Searchset {
  if (bundle.resourceType !== "Bundle" || bundle.type !== "searchset") throw new AnswerError("the answer is not a searchset Bundle");
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const resources = entries.map((e) => (e && typeof e === "object" && !Array.isArray(e) ? (e as FhirObject).resource : undefined)).filter((r): r is FhirObject => !!r && typeof r === "object" && !Array.isArray(r) && typeof (r as FhirObject).resourceType === "string");
  const links = Array.isArray(bundle.link) ? (bundle.link as FhirObject[]) : [];
  const next = links.find((l) => l && l.relation === "next")?.url;
  return { resources, ...(typeof next === "string" ? { next } : {}) };
}
