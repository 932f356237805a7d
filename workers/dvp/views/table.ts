/**
 * The building blocks every section uses: an accessible data table (caption, column headers with scope, a row
 * header), a section with its heading and its source, and the source line itself ("where does this come from").
 */
import { type Html, h } from "../../shared/html/page.ts";
import { formatDate } from "./fhir-read.ts";
import type { Item, Source } from "./items.ts";
import { SECTIONS, type SectionKey } from "./zibs.ts";

export type Cell = Html | string | undefined | null | false;

export interface Col<T> {
  readonly head: string;
  readonly cell: (row: T) => Cell;
}

export interface ViewOptions {
  /** Name each item's source in its own row (the overview merges collections); else each section names it once. */
  readonly perItemSource: boolean;
  /** What counts as the future (planned care). */
  readonly now: Date;
}

/** Columns of single dates: kept on one line ("31 mei 2026", not "31 mei" over "2026"). */
const DATE_HEADS = new Set(["Datum", "Begin", "Einde", "Laatst opgetreden", "Vastgelegd op", "Afgesproken op", "Toegevoegd", "Tijd"]);

const isEmpty = (c: Cell): boolean => c === undefined || c === null || c === false || (typeof c === "string" ? c.trim() === "" : c.markup === "");

/**
 * A table of `rows`, one column per `cols`; a column empty in every row is left out (the first is always kept, as
 * the row header). The caption is for screen readers: the section's heading says it on screen.
 */
export function dataTable<T>(caption: string, cols: readonly Col<T>[], rows: readonly T[], o: { readonly visibleCaption?: boolean } = {}): Html {
  const cells = rows.map((r) => cols.map((c) => c.cell(r)));
  const keep = cols.map((_, i) => i === 0 || cells.some((row) => !isEmpty(row[i])));
  const heads = cols.filter((_, i) => keep[i]);
  const body = cells.map((row) => {
    const kept = row.filter((_, i) => keep[i]);
    return h`<tr>${kept.map((c, i) => {
      const nw = DATE_HEADS.has(heads[i]!.head) ? h` class="nw"` : h``;
      return i === 0 ? h`<th scope="row"${nw}>${c ?? ""}</th>` : h`<td${nw}>${c ?? ""}</td>`;
    })}</tr>`;
  });
  return h`<div class="scroll"><table class="data"><caption${o.visibleCaption ? h`` : h` class="sr-only"`}>${caption}</caption>
<thead><tr>${heads.map((c) => h`<th scope="col">${c.head}</th>`)}</tr></thead>
<tbody>${body}</tbody></table></div>`;
}

/** "umcharderwijk@medmij, Basisgegevens Zorg, opgehaald op 3 mei 2026". */
export function sourceText(src: Source): string {
  const when = formatDate(src.at, { month: "long" });
  const verb = src.useCase === "delen" ? "gedeeld op" : "opgehaald op";
  return [src.zorgaanbieder, src.gdNaam, when ? `${verb} ${when}` : undefined].filter(Boolean).join(", ");
}

/** The "Bron" column, in the overview only. */
export function withSource<T extends { readonly src: Source }>(cols: readonly Col<T>[], o: ViewOptions): readonly Col<T>[] {
  return o.perItemSource ? [...cols, { head: "Bron", cell: (x) => sourceText(x.src) }] : cols;
}

/** The sources of a section's items, once each ("Bron: …"), when the rows do not say it themselves. */
export function sectionSource(items: readonly { readonly src: Source }[], o: ViewOptions): Html {
  if (o.perItemSource || items.length === 0) return h``;
  const texts = [...new Set(items.map((i) => sourceText(i.src)))];
  return h`<p class="bron">Bron: ${texts.join("; ")}</p>`;
}

/** A section of the page: its heading (level 2) and its body, or nothing when there is nothing to show. */
export function section(key: SectionKey, body: Html | undefined, items: readonly Item[], o: ViewOptions): Html {
  if (!body || body.markup === "") return h``;
  const title = SECTIONS.find((s) => s.key === key)?.title ?? "Gegevens";
  return h`<section id="zib-${key}" aria-labelledby="kop-${key}"><h2 id="kop-${key}">${title}</h2>
${sectionSource(items, o)}${body}</section>
`;
}

/** Rows newest first by `key` (undated last, in their order). */
export function newestFirst<T>(rows: readonly T[], key: (row: T) => number | undefined): T[] {
  return rows
    .map((row, i) => ({ row, i, t: key(row) }))
    .sort((a, b) => (a.t === undefined ? (b.t === undefined ? a.i - b.i : 1) : b.t === undefined ? -1 : b.t - a.t || a.i - b.i))
    .map((x) => x.row);
}
