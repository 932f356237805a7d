/**
 * Documents (PDF/A 3.0, IHE MHD): DocumentReference with its Binary, DocumentManifest. Each document opens through
 * the PGO itself: `/collections/<collection>/binary/<Binary id>` downloads it, `?weergave=inline` shows it; a
 * DocumentReference whose attachment is not a Binary in the same collection says "niet beschikbaar".
 */
import { type Html, h } from "../../shared/html/page.ts";
import { type R, conceptText, formatDate, instant, num, obj, objs, str } from "./fhir-read.ts";
import { type Item, binaryIdOf } from "./items.ts";
import { refName, refNames } from "./refs.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { statusWord } from "./words.ts";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  "application/pdf": "PDF",
  "text/plain": "tekst",
  "image/jpeg": "afbeelding",
  "image/png": "afbeelding",
  "application/xml": "XML",
  "text/xml": "XML",
};

/** "140 kB", "1,1 MB". */
export function sizeText(bytes: number | undefined): string | undefined {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return undefined;
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} kB`;
  return `${(bytes / 1_000_000).toFixed(1).replace(".", ",")} MB`;
}

export function binaryHref(collectionId: string, binaryId: string, inline: boolean): string {
  return `/collections/${encodeURIComponent(collectionId)}/binary/${encodeURIComponent(binaryId)}${inline ? "?weergave=inline" : ""}`;
}

/** The title of a document: its attachment's title, its description, or its kind. */
export function documentTitle(r: R): string {
  const att = objs(r.content).map((c) => obj(c.attachment))[0];
  return str(att?.title) ?? str(r.description) ?? conceptText(r.type) ?? "document";
}

function kindOf(contentType: unknown): string | undefined {
  const t = str(contentType)?.split(";")[0]?.trim().toLowerCase();
  return t ? (CONTENT_TYPES[t] ?? t) : undefined;
}

/** Per attachment: "Bekijken" and "Downloaden" links to the PGO's own copy, or "niet beschikbaar". */
function links(i: Item): Html {
  const title = documentTitle(i.r);
  const parts = objs(i.r.content).map((c) => {
    const att = obj(c.attachment);
    const id = binaryIdOf(att?.url);
    const binary = id ? i.bag.get("Binary", id) : undefined;
    // What the Person shared came from their own documents; what a provider sent must be in the collection.
    if (!id || !binary) return i.src.useCase === "delen" ? h`<a href="/documenten">in Mijn documenten</a>` : h`<span>niet beschikbaar</span>`;
    const base64 = str(binary.content);
    const size = num(att?.size) ?? (base64 ? Math.floor((base64.length * 3) / 4) : undefined);
    const about = [kindOf(binary.contentType ?? att?.contentType), sizeText(size)].filter(Boolean).join(", ");
    return h`<a href="${binaryHref(i.src.collectionId, id, true)}">Bekijken<span class="sr-only">: ${title}</span></a> · <a href="${binaryHref(i.src.collectionId, id, false)}" download>Downloaden<span class="sr-only">: ${title}</span></a>${about ? h` <span class="klein">(${about})</span>` : h``}`;
  });
  return parts.length ? h`${parts.map((p, n) => (n === 0 ? p : h`<br>${p}`))}` : h`<span>niet beschikbaar</span>`;
}

const when = (r: R): unknown => r.created ?? r.indexed;

function manifestContents(i: Item): string | undefined {
  const names = objs(i.r.content).map((c) => {
    const ref = obj(c.pReference);
    const target = i.bag.resolve(ref);
    return target?.resourceType === "DocumentReference" ? documentTitle(target) : (str(ref?.display) ?? refName(i.bag, ref, i.r));
  });
  const list = names.filter((n): n is string => n !== undefined);
  return list.length ? list.join("; ") : undefined;
}

export function documentsSection(items: readonly Item[], o: ViewOptions): Html {
  const refs = items.filter((i) => i.r.resourceType === "DocumentReference");
  const manifests = items.filter((i) => i.r.resourceType === "DocumentManifest");
  if (refs.length === 0 && manifests.length === 0) return h``;
  const status = (r: R) => (r.status === undefined ? undefined : statusWord(r.status));
  const docTable =
    refs.length === 0
      ? h``
      : dataTable(
          "Documenten",
          withSource(
            [
              { head: "Titel", cell: (i: Item) => documentTitle(i.r) },
              { head: "Soort", cell: (i) => conceptText(i.r.type) ?? conceptText(i.r.class) },
              { head: "Datum", cell: (i) => formatDate(when(i.r), { month: "short" }) },
              { head: "Auteur", cell: (i) => refNames(i.bag, i.r.author, i.r) },
              { head: "Zorgaanbieder", cell: (i) => refName(i.bag, i.r.custodian, i.r) },
              { head: "Status", cell: (i) => status(i.r) },
              { head: "Document", cell: links },
            ],
            o,
          ),
          newestFirst(refs, (i) => instant(when(i.r))),
        );
  const manifestTable =
    manifests.length === 0
      ? h``
      : h`<h3>Verzamelingen van documenten</h3>${dataTable(
          "Verzamelingen van documenten",
          withSource(
            [
              { head: "Omschrijving", cell: (i: Item) => str(i.r.description) ?? conceptText(i.r.type) ?? "verzameling" },
              { head: "Datum", cell: (i) => formatDate(i.r.created, { month: "short" }) },
              { head: "Auteur", cell: (i) => refNames(i.bag, i.r.author, i.r) },
              { head: "Documenten", cell: manifestContents },
              { head: "Status", cell: (i) => status(i.r) },
            ],
            o,
          ),
          newestFirst(manifests, (i) => instant(i.r.created)),
        )}`;
  return section("documenten", h`${docTable}${manifestTable}`, items, o);
}
