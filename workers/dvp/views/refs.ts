/**
 * The name of what a reference points at, as a Person reads it: the included resource's own name (a Practitioner's
 * name with their organisation, a Medication's product, a Device's kind), else the reference's display.
 */
import { type R, conceptText, extensions, formatAddress, formatTelecom, nameOf, obj, objs, str, valueOf } from "./fhir-read.ts";
import type { Bag } from "./items.ts";

const PRACTITIONER_ROLE_REF = "http://nictiz.nl/fhir/StructureDefinition/practitionerrole-reference";

/** A resource's own name, by its type. */
export function nameOfResource(r: R, bag?: Bag): string | undefined {
  switch (r.resourceType) {
    case "Patient":
    case "Practitioner":
    case "RelatedPerson":
      return nameOf(r.name);
    case "Organization":
    case "Location":
      return str(r.name);
    case "PractitionerRole": {
      const who = bag?.resolve(r.practitioner);
      const org = bag?.resolve(r.organization);
      const parts = [who ? nameOfResource(who) : str(obj(r.practitioner)?.display), org ? nameOfResource(org) : str(obj(r.organization)?.display)].filter(Boolean);
      return parts.length ? parts.join(", ") : conceptText(objs(r.specialty)[0]);
    }
    case "Medication":
    case "Condition":
    case "Procedure":
    case "Observation":
      return conceptText(r.code);
    case "Device":
      return conceptText(r.type) ?? str(r.model);
    case "Specimen":
      return conceptText(r.type);
    default:
      return undefined;
  }
}

/**
 * The name behind a Reference: resolved in the item's collection when included (`#id` within `within`); the
 * Nictiz practitionerrole-reference extension adds the organisation a practitioner acted for.
 */
export function refName(bag: Bag, ref: unknown, within?: R): string | undefined {
  const o = obj(ref);
  if (!o) return undefined;
  const target = bag.resolve(o, within);
  let name = (target ? nameOfResource(target, bag) : undefined) ?? str(o.display);
  const role = bag.resolve(valueOf(extensions(o, PRACTITIONER_ROLE_REF)[0]));
  if (role && target?.resourceType === "Practitioner") {
    const org = bag.resolve(role.organization);
    const orgName = org ? nameOfResource(org) : str(obj(role.organization)?.display);
    if (orgName && name && !name.includes(orgName)) name = `${name} (${orgName})`;
  }
  return name;
}

/** Several references as one text. */
export function refNames(bag: Bag, refs: unknown, within?: R): string | undefined {
  const names = objs(refs)
    .map((r) => refName(bag, r, within))
    .filter((n): n is string => n !== undefined);
  return names.length ? [...new Set(names)].join(", ") : undefined;
}

export interface ContactDetails {
  readonly name?: string;
  readonly organisation?: string;
  readonly telecom?: string;
  readonly address?: string;
}

/**
 * A practitioner or organisation (Patient.generalPractitioner: a Practitioner, with the role's organisation through
 * the practitionerrole-reference extension, a PractitionerRole, or an Organization) with contact details.
 */
export function contactOf(bag: Bag, ref: unknown): ContactDetails | undefined {
  const o = obj(ref);
  if (!o) return undefined;
  const target = bag.resolve(o);
  const role = target?.resourceType === "PractitionerRole" ? target : bag.resolve(valueOf(extensions(o, PRACTITIONER_ROLE_REF)[0]));
  const practitioner = target?.resourceType === "Practitioner" ? target : role ? bag.resolve(role.practitioner) : undefined;
  const organisation = target?.resourceType === "Organization" ? target : role ? bag.resolve(role.organization) : undefined;
  const name = (practitioner ? nameOf(practitioner.name) : undefined) ?? (target?.resourceType === "Organization" ? undefined : str(o.display));
  const orgName = (organisation ? str(organisation.name) : undefined) ?? str(obj(role?.organization)?.display) ?? (target?.resourceType === "Organization" ? str(o.display) : undefined);
  const telecom = formatTelecom([...objs(role?.telecom), ...objs(practitioner?.telecom), ...objs(organisation?.telecom)]);
  const address = formatAddress(objs(practitioner?.address)[0] ?? objs(organisation?.address)[0]);
  if (!name && !orgName) return undefined;
  return { name, organisation: orgName, telecom, address };
}
