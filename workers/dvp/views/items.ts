/**
 * From what PersonStore keeps (a collection's resources as FHIR JSON text) to what the views show: items, each a
 * resource with its source (provider, Gegevensdienst, when it was collected) and the collection it came in, in which
 * its references are resolved (an included Practitioner, a Medication, a contained author, a Binary).
 */
import type { CollectionDetail } from "../../../durable-objects/person-store.ts";
import { parseFhirJson } from "../../fhir/formats/json.ts";
import { type R, obj, objs, str } from "./fhir-read.ts";

export interface Source {
  readonly collectionId: string;
  readonly zorgaanbieder: string;
  readonly gegevensdienstId: string;
  /** The Gegevensdienst's name (Gegevensdienstnamenlijst). */
  readonly gdNaam: string;
  /** When the collection was made (ISO 8601). */
  readonly at: string;
  readonly useCase: "verzamelen" | "delen";
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The resources of one collection, by `Type/id` (and by Bundle fullUrl), to resolve references in. */
export class Bag {
  private readonly byKey = new Map<string, R>();

  constructor(resources: readonly R[], fullUrls: ReadonlyMap<string, R> = new Map()) {
    for (const r of resources) {
      const type = str(r.resourceType);
      const id = str(r.id);
      if (type && id && !this.byKey.has(`${type}/${id}`)) this.byKey.set(`${type}/${id}`, r);
    }
    for (const [url, r] of fullUrls) if (!this.byKey.has(url)) this.byKey.set(url, r);
  }

  get(type: string, id: string): R | undefined {
    return this.byKey.get(`${type}/${id}`);
  }

  /**
   * What a Reference points at: `Type/id` (also with `_history`), an absolute URL ending in `/Type/id`, a Bundle's
   * `urn:uuid:` fullUrl, or `#id` contained in `within`.
   */
  resolve(ref: unknown, within?: R): R | undefined {
    const reference = str(obj(ref)?.reference) ?? (typeof ref === "string" ? ref : undefined);
    if (!reference) return undefined;
    if (reference.startsWith("#")) return objs(within?.contained).find((c) => c.id === reference.slice(1));
    if (this.byKey.has(reference)) return this.byKey.get(reference);
    const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
    return m ? this.get(m[1]!, m[2]!) : undefined;
  }
}

export interface Item {
  readonly r: R;
  readonly src: Source;
  readonly bag: Bag;
}

export interface Parsed {
  readonly resources: R[];
  readonly fullUrls: Map<string, R>;
  /** Stored texts that were not FHIR JSON at all. */
  readonly unreadable: number;
}

/** One stored text as FHIR JSON: decimals kept exactly when it is well-formed FHIR, plain JSON otherwise. */
function parseOne(json: string): R | undefined {
  try {
    return parseFhirJson(json);
  } catch {
    try {
      return obj(JSON.parse(json));
    } catch {
      return undefined;
    }
  }
}

/** A collection's stored texts as resources: a Bundle (what a Delen run sends) counts as its entries. */
export function parseResources(jsons: readonly string[]): Parsed {
  const resources: R[] = [];
  const fullUrls = new Map<string, R>();
  let unreadable = 0;
  const seen = new Set<string>();
  const add = (r: R) => {
    const key = str(r.resourceType) && str(r.id) ? `${String(r.resourceType)}/${String(r.id)}` : undefined;
    if (key && seen.has(key)) return;
    if (key) seen.add(key);
    resources.push(r);
  };
  for (const json of jsons) {
    const r = parseOne(json);
    if (!r || !str(r.resourceType)) {
      unreadable++;
      continue;
    }
    if (r.resourceType === "Bundle") {
      for (const e of objs(r.entry)) {
        const inner = obj(e.resource);
        if (!inner || !str(inner.resourceType)) continue;
        const url = str(e.fullUrl);
        if (url) fullUrls.set(url, inner);
        add(inner);
      }
      continue;
    }
    add(r);
  }
  return { resources, fullUrls, unreadable };
}

export function sourceOf(c: Pick<CollectionDetail, "id" | "zorgaanbieder" | "gegevensdienstId" | "at" | "useCase">, gdNaam: string): Source {
  return { collectionId: c.id, zorgaanbieder: c.zorgaanbieder, gegevensdienstId: c.gegevensdienstId, gdNaam, at: c.at, useCase: c.useCase };
}

/** The items of one collection. */
export function itemsOf(c: CollectionDetail, gdNaam: string): { readonly items: Item[]; readonly unreadable: number } {
  const parsed = parseResources(c.resources);
  const bag = new Bag(parsed.resources, parsed.fullUrls);
  const src = sourceOf(c, gdNaam);
  return { items: parsed.resources.map((r) => ({ r, src, bag })), unreadable: parsed.unreadable };
}

/** Whether a collection counts for "Mijn gezondheidsgegevens": collected, completed, not deleted. */
export function counts(c: Pick<CollectionDetail, "deletedAt" | "outcome" | "useCase">): boolean {
  return c.deletedAt === null && c.outcome === "completed" && c.useCase === "verzamelen";
}

/**
 * Everything collected, merged: the same resource (type and id) from the same provider is shown once, from its
 * newest collection; resources without an id are all kept.
 */
export function mergedItems(collections: readonly { readonly detail: CollectionDetail; readonly gdNaam: string }[]): Item[] {
  const newestFirst = collections.filter((c) => counts(c.detail)).sort((a, b) => (a.detail.at < b.detail.at ? 1 : a.detail.at > b.detail.at ? -1 : 0));
  const seen = new Set<string>();
  const out: Item[] = [];
  for (const { detail, gdNaam } of newestFirst) {
    for (const item of itemsOf(detail, gdNaam).items) {
      const type = str(item.r.resourceType);
      const id = str(item.r.id);
      if (type && id && FHIR_ID.test(id)) {
        const key = JSON.stringify([detail.zorgaanbieder, type, id]);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      out.push(item);
    }
  }
  return out;
}

/** A Binary id from a DocumentReference's attachment URL: `Binary/<id>` or an absolute URL ending in `/Binary/<id>`. */
export function binaryIdOf(url: unknown): string | undefined {
  const u = str(url);
  if (!u) return undefined;
  const m = /(?:^|\/)Binary\/([^/?#]+)$/.exec(u);
  if (!m) return undefined;
  if (!/^Binary\//.test(u) && !/^https?:\/\/[^/]+\/(?:.*\/)?Binary\/[^/?#]+$/.test(u)) return undefined;
  return FHIR_ID.test(m[1]!) ? m[1] : undefined;
}
