/**
 * "Mijn documenten": the Person's own documents (own-data.ts) with their download links, the upload form
 * (POST /documenten, multipart, PDF only) and per provider that receives documents a form to share chosen ones.
 */
import { type Html, h } from "../../shared/html/page.ts";
import { DOCUMENT_TYPES, type OwnDocument } from "../own-data.ts";
import type { OfferingView } from "../pages.ts";
import { sizeText } from "./documents.ts";
import { formatDate } from "./fhir-read.ts";
import { dataTable } from "./table.ts";

const csrfField = (csrf: string) => h`<input type="hidden" name="csrf" value="${csrf}">`;

export const documentTypeName = (code: string): string => DOCUMENT_TYPES.find((t) => t.code === code)?.naam ?? "Document";

function shareForm(t: OfferingView, n: number, csrf: string, docs: readonly OwnDocument[]): Html {
  const id = (x: string) => `delen-${n}-${x}`;
  return h`<section aria-labelledby="${id("kop")}"><h3 id="${id("kop")}">${t.zorgaanbieder}: ${t.naam}</h3>
<form method="post" action="/delen">${csrfField(csrf)}<input type="hidden" name="zorgaanbieder" value="${t.zorgaanbieder}"><input type="hidden" name="gegevensdienst" value="${t.gegevensdienstId}">
<fieldset><legend>Kies de documenten die u wilt delen</legend>
${docs.map((d, i) => h`<div class="keuze"><input type="checkbox" id="${id(`d${i}`)}" name="d" value="${d.id}"><label for="${id(`d${i}`)}">${d.title} (${documentTypeName(d.type)}, ${formatDate(d.uploadedAt, { month: "short" }) ?? ""})</label></div>`)}
</fieldset>
<div class="actions"><button class="primary" type="submit">Delen met ${t.zorgaanbieder}</button></div></form></section>`;
}

export function documentsBody(csrf: string, docs: readonly OwnDocument[], targets: readonly OfferingView[]): Html {
  const newest = [...docs].sort((a, b) => (a.uploadedAt < b.uploadedAt ? 1 : a.uploadedAt > b.uploadedAt ? -1 : 0));
  const list = newest.length
    ? dataTable(
        "Mijn documenten",
        [
          { head: "Titel", cell: (d: OwnDocument) => d.title },
          { head: "Soort", cell: (d) => documentTypeName(d.type) },
          { head: "Grootte", cell: (d) => sizeText(d.size) },
          { head: "Toegevoegd", cell: (d) => formatDate(d.uploadedAt, { month: "short" }) },
          { head: "Gedeeld", cell: (d) => (d.sharedAt ? `ja, ${formatDate(d.sharedAt, { month: "short" }) ?? ""}` : "nee") },
          { head: "Document", cell: (d) => h`<a href="/documenten/${encodeURIComponent(d.id)}">Downloaden<span class="sr-only">: ${d.title}</span></a>` },
        ],
        newest,
      )
    : h`<p>U hebt nog geen documenten toegevoegd.</p>`;
  return h`<h2>Uw documenten</h2>
${list}
<h2>Document toevoegen</h2>
<form method="post" action="/documenten" enctype="multipart/form-data">${csrfField(csrf)}
<label for="document-bestand">PDF-bestand</label><input id="document-bestand" name="file" type="file" accept="application/pdf" required>
<label for="document-titel">Titel</label><input id="document-titel" name="title" maxlength="200" required>
<label for="document-soort">Soort document</label><select id="document-soort" name="type">${DOCUMENT_TYPES.map((t) => h`<option value="${t.code}">${t.naam}</option>`)}</select>
<div class="actions"><button class="primary" type="submit">Toevoegen</button></div></form>
<h2>Documenten delen met een zorgaanbieder</h2>
${
  targets.length === 0
    ? h`<p>Er is (nog) geen zorgaanbieder die documenten van u kan ontvangen. <a href="/">Zoek een zorgaanbieder</a>.</p>`
    : newest.length === 0
      ? h`<p>Voeg eerst een document toe; daarna kunt u het delen.</p>`
      : h`${targets.map((t, n) => shareForm(t, n, csrf, newest))}`
}`;
}
