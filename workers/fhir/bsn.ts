/**
 * SPEC X-8: no BSN reaches a PGO. Every identifier of the BSN naming system in what the Resource Server serves, in
 * either mode and in contained resources too, keeps its system and loses its value: the value is masked with the
 * data-absent-reason extension, as Nictiz's own fixtures carry it (`_value: {extension: [{url: ...data-absent-reason,
 * valueCode: "masked"}]}`). A new object is returned; the input is not changed.
 */
import { isDecimal } from "./formats/json.ts";

export const BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn";
const DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const MASKED = () => ({ extension: [{ url: DATA_ABSENT_REASON, valueCode: "masked" }] });

export function maskBsn<T>(value: T): T {
  if (Array.isArray(value)) return value.map(maskBsn) as T;
  // An exact decimal (formats/json.ts) is a value, not an element: kept as it is.
  if (!isObject(value) || isDecimal(value)) return value;
  const out: Record<string, unknown> = {};
  const isBsn = value.system === BSN_SYSTEM;
  for (const [k, v] of Object.entries(value)) {
    if (isBsn && k === "value") continue;
    if (isBsn && k === "_value") continue;
    out[k] = maskBsn(v);
  }
  if (isBsn && ("value" in value || "_value" in value)) out._value = MASKED();
  return out as T;
}

/** Does anything in this value still carry a BSN value? (Tests, and the X-8 check before a response leaves.) */
export function carriesBsn(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(carriesBsn);
  if (!isObject(value) || isDecimal(value)) return false;
  if (value.system === BSN_SYSTEM && typeof value.value === "string" && value.value !== "") return true;
  return Object.values(value).some(carriesBsn);
}
