/** zib MedicalDevice (DeviceUseStatement) with its product (zib MedicalDeviceProduct, the included Device). */
import { type Html, h } from "../../shared/html/page.ts";
import { conceptText, extensionValue, formatPeriod, formatWhen, instant, notesText, obj, objs } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { bodySiteText } from "./problems.ts";
import { refName } from "./refs.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { statusWord } from "./words.ts";

const ZIB = "http://nictiz.nl/fhir/StructureDefinition/";

function deviceName(i: Item): string {
  const device = i.bag.resolve(i.r.device);
  return (device ? conceptText(device.type) : undefined) ?? refName(i.bag, i.r.device, i.r) ?? "onbekend hulpmiddel";
}

function indication(i: Item): string | undefined {
  const list = objs(i.r.indication)
    .map((cc) => refName(i.bag, extensionValue(cc, `${ZIB}zib-MedicalDevice-Problem`), i.r) ?? conceptText(cc))
    .filter(Boolean);
  return list.length ? list.join(", ") : undefined;
}

export function devicesSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => instant(obj(i.r.whenUsed)?.start) ?? instant(i.r.recordedOn));
  const table = dataTable(
    "Medische hulpmiddelen",
    withSource(
      [
        { head: "Hulpmiddel", cell: (i: Item) => deviceName(i) },
        { head: "In gebruik", cell: (i) => formatPeriod(i.r.whenUsed) ?? formatWhen(i.r, "timing") },
        { head: "Plaats", cell: (i) => bodySiteText(i.r.bodySite) },
        { head: "Reden", cell: indication },
        { head: "Zorgaanbieder", cell: (i) => refName(i.bag, extensionValue(i.r, `${ZIB}zib-MedicalDevice-Organization`), i.r) },
        { head: "Toelichting", cell: (i) => [notesText(i.r.note), notesText(i.bag.resolve(i.r.device)?.note)].filter(Boolean).join("; ") || undefined },
        { head: "Status", cell: (i) => (i.r.status === undefined ? undefined : statusWord(i.r.status)) },
      ],
      o,
    ),
    rows,
  );
  return section("hulpmiddelen", table, items, o);
}
