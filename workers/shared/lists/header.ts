import type { XmlElement } from "../xml/types.ts";
import { childText } from "./element.ts";

/** Every list starts with Tijdstempel and Volgnummer (FACTS.md). */
export function readHeader(root: XmlElement): { tijdstempel: string; volgnummer: string } {
  return {
    tijdstempel: childText(root, "Tijdstempel"),
    // positiveInteger: strip leading zeros so "007" and "7" compare equal as strings too.
    volgnummer: childText(root, "Volgnummer").replace(/^\+?0*(?=\d)/, ""),
  };
}
