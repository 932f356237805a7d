/**
 * zib Patient (nl-core-patient), its contact persons (zib ContactPerson in Patient.contact) and its huisarts
 * (Patient.generalPractitioner, with the Practitioner, PractitionerRole and Organization the BgZ's
 * `_include=Patient:general-practitioner` brings along).
 *
 * X-8: no identifier is shown, so no BSN can reach a page, whatever a provider sent.
 */
import { type Html, h } from "../../shared/html/page.ts";
import { type R, codings, conceptText, formatAddress, formatDate, formatTelecom, genderWord, humanName, nameOf, objs, str } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { contactOf } from "./refs.ts";
import { type ViewOptions, section, sourceText } from "./table.ts";
import { MARITAL_STATUS, ROLE_CODE } from "./words.ts";

const V3_MARITAL = "http://hl7.org/fhir/v3/MaritalStatus";
const V3_ROLE = "http://hl7.org/fhir/v3/RoleCode";

function maritalStatus(cc: unknown): string | undefined {
  const v3 = codings(cc).find((c) => c.system === V3_MARITAL && c.code && Object.hasOwn(MARITAL_STATUS, c.code));
  return v3 ? MARITAL_STATUS[v3.code!] : conceptText(cc);
}

function relationship(ccs: unknown): string | undefined {
  const words = objs(ccs).map((cc) => {
    const v3 = codings(cc).find((c) => c.system === V3_ROLE && c.code && Object.hasOwn(ROLE_CODE, c.code));
    return v3 ? ROLE_CODE[v3.code!] : conceptText(cc);
  });
  const list = [...new Set(words.filter((w): w is string => w !== undefined))];
  return list.length ? list.join(", ") : undefined;
}

function row(label: string, value: string | Html | undefined): Html {
  return value === undefined || value === "" ? h`` : h`<dt>${label}</dt><dd>${value}</dd>`;
}

function deceased(p: R): string | undefined {
  if (p.deceasedBoolean === true) return "ja";
  const d = formatDate(p.deceasedDateTime);
  return d ? `ja, op ${d}` : undefined;
}

/** One Patient as a definition list. */
export function patientBlock(item: Item, o: ViewOptions): Html {
  const p = item.r;
  const contacts = objs(p.contact).map((c) => {
    const name = humanName(c.name) ?? str(c.organization && (c.organization as { display?: unknown }).display);
    const details = [relationship(c.relationship), formatTelecom(c.telecom), formatAddress(c.address)].filter(Boolean).join("; ");
    return name ? h`<li>${name}${details ? `: ${details}` : ""}</li>` : h``;
  });
  const gps = objs(p.generalPractitioner)
    .map((ref) => contactOf(item.bag, ref))
    .filter((c) => c !== undefined)
    .map((c) => h`<li>${[c.name, c.organisation].filter(Boolean).join(", ")}${c.telecom ? h`<br>${c.telecom}` : h``}${c.address ? h`<br>${c.address}` : h``}</li>`);
  return h`<dl class="fields">
${row("Naam", nameOf(p.name))}
${row("Geboortedatum", formatDate(p.birthDate))}
${row("Geslacht", genderWord(p.gender))}
${row("Overleden", deceased(p))}
${row("Adres", objs(p.address).map(formatAddress).filter(Boolean).join("; ") || undefined)}
${row("Contactgegevens", formatTelecom(p.telecom))}
${row("Burgerlijke staat", maritalStatus(p.maritalStatus))}
${gps.length ? h`<dt>Huisarts</dt><dd><ul class="plain">${gps}</ul></dd>` : h``}
${contacts.length ? h`<dt>Contactpersonen</dt><dd><ul class="plain">${contacts}</ul></dd>` : h``}
</dl>${o.perItemSource ? h`<p class="bron">Bron: ${sourceText(item.src)}</p>` : h``}`;
}

export function patientSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  return section("patient", h`${items.map((i) => patientBlock(i, o))}`, items, o);
}
