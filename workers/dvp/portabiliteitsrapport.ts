/**
 * The Portabiliteitsrapport (SPEC P-1..P-4): every Verzamelen run of the Person in a period, per
 * Zorgaanbieder and Gegevensdienst, with the resource requests it made; deleted data left out.
 * Plain XML in the project's release-1 namespace, validated against its XSD before it is served.
 */
import prXsd from "../../xsd/medmij-edge/MedMij_Portabiliteitsrapport.xsd.ts";
import type { CollectionDetail } from "../../durable-objects/person-store.ts";
import { compileSchema, validateXmlText, type CompiledSchema } from "../shared/xsd/index.ts";
import { writeXml, x, type XmlOut } from "../shared/xml/write.ts";

export const NAMESPACE = "xmlns://afsprakenstelsel.medmij.nl/portabiliteitsrapport/release1/";

let schema: CompiledSchema | undefined;

export interface ReportInput {
  readonly deelnemer: string;
  readonly van: Date;
  readonly tot: Date;
  readonly now: Date;
  readonly collections: readonly CollectionDetail[];
}

/** Grouped by Zorgaanbieder (in first-seen order), each collection one Gegevensdienst entry. */
export function reportXml(input: ReportInput): string {
  const byProvider = new Map<string, CollectionDetail[]>();
  for (const c of input.collections) byProvider.set(c.zorgaanbieder, [...(byProvider.get(c.zorgaanbieder) ?? []), c]);
  const providers: XmlOut[] = [...byProvider].map(([naam, cs]) =>
    x("Zorgaanbieder", [
      x("Zorgaanbiedernaam", naam),
      x(
        "Gegevensdiensten",
        cs.map((c) =>
          x("Gegevensdienst", [
            x("GegevensdienstId", c.gegevensdienstId),
            x("Tijdstempel", c.at),
            x("ResourceRequests", c.requests.map((r) => x("ResourceRequest", [x("RequestUri", r.uri), x("Tijdstempel", r.at)]))),
          ]),
        ),
      ),
    ]),
  );
  return writeXml(
    x(
      "PortabiliteitsRapport",
      [
        x("PortabiliteitsRapportMeta", [x("Deelnemer", input.deelnemer), x("Van", input.van.toISOString()), x("Tot", input.tot.toISOString()), x("Tijdstempel", input.now.toISOString())]),
        x("Zorgaanbieders", providers),
      ],
      { xmlns: NAMESPACE },
    ),
  );
}

/** P-4: the XSD decides; an invalid report is never served. */
export function validateReport(xml: string): { ok: true } | { ok: false; reason: string } {
  schema ??= compileSchema(prXsd);
  const r = validateXmlText(xml, schema);
  return r.ok ? { ok: true } : { ok: false, reason: r.errors.map((e) => e.message).join("; ") };
}
