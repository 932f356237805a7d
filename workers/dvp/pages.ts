/**
 * The PGO's server-rendered pages (Dutch, no scripts, strict headers via shared/html/page.ts); login: login/pages.ts.
 * The Person's health data is rendered per zib by views/ (FHIR in, Html out).
 */
import type { CollectionDetail, CollectionSummary } from "../../durable-objects/person-store.ts";
import { type Html, h, page } from "../shared/html/page.ts";
import type { OwnDocument, OwnMeasurement } from "./own-data.ts";
import type { PgoPerson } from "./persons.ts";
import { formatDate } from "./views/fhir-read.ts";
import { itemsOf, mergedItems } from "./views/items.ts";
import { renderSections, tableOfContents } from "./views/overview.ts";
import { documentsBody } from "./views/own-documents.ts";
import { measurementsBody } from "./views/own-measurements.ts";
import { outcomeWord, useCaseWord } from "./views/words.ts";
import { sharesOf as shareKind } from "./offerings.ts";

export interface OfferingView {
  readonly zorgaanbieder: string;
  readonly gegevensdienstId: string;
  readonly naam: string;
  readonly useCase: "verzamelen" | "delen";
}

/** What a Delen offering receives, and so which page the dashboard links to (by its standard, offerings.ts). */
export function sharesOf(o: OfferingView): "metingen" | "documenten" | undefined {
  if (o.useCase !== "delen") return undefined;
  const kind = shareKind(o.gegevensdienstId);
  return kind === "measurements" ? "metingen" : kind === "documents" ? "documenten" : undefined;
}

/** The Person's choice for the Gegevensdiensten whose standard has one (collect/plan.ts parseChoice). */
function collectChoice(o: OfferingView): Html {
  const id = `${o.zorgaanbieder}-${o.gegevensdienstId}`.replace(/[^A-Za-z0-9-]/g, "-");
  const period = h`<label for="van-${id}">Vanaf (optioneel)</label><input id="van-${id}" name="van" type="date">
<label for="tot-${id}">Tot en met (optioneel)</label><input id="tot-${id}" name="tot" type="date">`;
  if (o.gegevensdienstId === "51") return h`<details><summary>Alleen documenten uit een periode</summary>${period}</details>`;
  if (o.gegevensdienstId !== "1005") return h``;
  const kinds = [["bloeddruk", "Bloeddruk"], ["gewicht", "Gewicht"], ["lengte", "Lengte"], ["hartslag", "Hartslag"], ["glucose", "Glucose"]] as const;
  return h`<details><summary>Kiezen wat u ophaalt</summary><fieldset><legend>Soort meting (niets gekozen: alles)</legend>
${kinds.map(([v, t]) => h`<label class="check"><input type="checkbox" name="soort" value="${v}"> ${t}</label>`)}</fieldset>
<label class="check"><input type="checkbox" name="laatste" value="ja"> Alleen de laatste meting</label>${period}</details>`;
}
function offeringAction(o: OfferingView, csrf: string): Html {
  if (o.useCase === "verzamelen") {
    const hidden = h`<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="zorgaanbieder" value="${o.zorgaanbieder}"><input type="hidden" name="gegevensdienst" value="${o.gegevensdienstId}">`;
    return h`<form method="post" action="/verzamelen">${hidden}${collectChoice(o)}<button class="primary" type="submit">Verzamelen: ${o.naam}</button></form>`;
  }
  // Delen starts from the page of what is shared: the Person chooses there which measurements or documents.
  const target = sharesOf(o);
  return target
    ? h`<a class="knop" href="/${target}">Delen: ${o.naam}</a>`
    : h`<span>Delen: ${o.naam} (niet beschikbaar in deze omgeving)</span>`;
}

/** The Person's own pages, linked from the dashboard and from each other. */
function ownNav(current?: "gegevens" | "metingen" | "documenten"): Html {
  const links = [
    { path: "gegevens", text: "Mijn gezondheidsgegevens" },
    { path: "metingen", text: "Mijn metingen" },
    { path: "documenten", text: "Mijn documenten" },
  ] as const;
  return h`<nav aria-label="Mijn gegevens" class="mijn"><ul>${links.map((l) => (l.path === current ? h`<li><a href="/${l.path}" aria-current="page">${l.text}</a></li>` : h`<li><a href="/${l.path}">${l.text}</a></li>`))}<li><a href="/">Overzicht</a></li></ul></nav>`;
}

function resultText(c: CollectionSummary): string {
  if (c.deletedAt) return "verwijderd";
  const word = outcomeWord(c.outcome);
  return c.outcome === "completed" ? `${word} (${c.resourceCount === 1 ? "1 gegeven" : `${c.resourceCount} gegevens`})` : word;
}

export function dashboard(pgo: string, person: PgoPerson, csrf: string, query: string, offerings: readonly OfferingView[], collections: readonly CollectionSummary[]): Response {
  const byProvider = new Map<string, OfferingView[]>();
  for (const o of offerings) byProvider.set(o.zorgaanbieder, [...(byProvider.get(o.zorgaanbieder) ?? []), o]);
  const gdNaam = new Map(offerings.map((o) => [o.gegevensdienstId, o.naam]));
  return page({
    title: pgo,
    heading: person.naam ? `Welkom, ${person.naam}` : "Welkom",
    banner: pgo,
    body: h`<div class="middel">${ownNav()}
<form method="get" action="/"><label for="q">Zoek een zorgaanbieder of gegevensdienst</label><input id="q" name="q" value="${query}"></form>
<h2>Zorgaanbieders</h2>
${[...byProvider].map(([naam, os]) => h`<section aria-label="${naam}"><h3>${naam}</h3><div class="actions">${os.map((o) => offeringAction(o, csrf))}</div></section>`)}
${byProvider.size === 0 ? h`<p>Geen zorgaanbieders gevonden.</p>` : h``}
<h2>Uw gegevens</h2>
${
  collections.length === 0
    ? h`<p>U hebt nog geen gegevens opgehaald of gedeeld.</p>`
    : h`<div class="scroll"><table class="data"><caption class="sr-only">Opgehaalde en gedeelde gegevens</caption><thead><tr><th scope="col">Wanneer</th><th scope="col">Zorgaanbieder</th><th scope="col">Gegevensdienst</th><th scope="col">Wat</th><th scope="col">Resultaat</th><th scope="col"><span class="sr-only">Acties</span></th></tr></thead><tbody>
${collections.map(
  (c) => h`<tr><td class="nw">${formatDate(c.at, { month: "short" }) ?? c.at}</td><td>${c.zorgaanbieder}</td><td>${gdNaam.get(c.gegevensdienstId) ?? c.gegevensdienstId}</td><td>${useCaseWord(c.useCase)}</td><td>${resultText(c)}</td>
<td>${c.deletedAt ? h`` : h`<a href="/collections/${c.id}">Bekijken</a> <form method="post" action="/collections/${c.id}/delete"><input type="hidden" name="csrf" value="${csrf}"><button class="secondary" type="submit">Verwijderen</button></form>`}</td></tr>`,
)}
</tbody></table></div>`
}
<h2>Overzichten</h2>
<form method="get" action="/api/portabiliteitsrapport"><label for="van">Portabiliteitsrapport vanaf</label><input id="van" name="van" type="date" required>
<label for="tot">tot en met</label><input id="tot" name="tot" type="date" required>
<div class="actions"><button class="secondary" type="submit">Rapport downloaden</button></div></form>
<p><a href="/api/log">Uw logboek (NEN 7513) downloaden</a>${person.kind === "account" ? h` · <a href="/account/passkeys">Passkeys beheren</a>` : h``} · <a href="/account/end">Dienst beëindigen</a></p>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="${csrf}"><button class="secondary" type="submit">Uitloggen</button></form></div>`,
  });
}

/**
 * One collection, shown per zib (issue 17), with its source once per section, then the resource requests it made
 * (LOG-3's MedMij-Request-IDs, P-1's URIs) and the way to delete it.
 */
export function collectionPage(pgo: string, c: CollectionDetail, gdNaam: string, csrf: string, now: Date = new Date()): Response {
  const { items, unreadable } = itemsOf(c, gdNaam);
  const o = { perItemSource: false, now };
  const { body, shown } = renderSections(items, o);
  const verb = c.useCase === "delen" ? "Gedeeld met" : "Opgehaald bij";
  const when = formatDate(c.at, { month: "long" }) ?? c.at;
  return page({
    title: pgo,
    heading: `${verb} ${c.zorgaanbieder}`,
    banner: pgo,
    body: h`<div class="breed">${ownNav()}
<p>Gegevensdienst ${gdNaam}, ${when}, resultaat: ${outcomeWord(c.outcome)}.${c.deletedAt ? ` De gegevens zijn verwijderd op ${formatDate(c.deletedAt, { month: "long" }) ?? c.deletedAt}.` : ""}</p>
${tableOfContents(shown)}
${shown.length === 0 && !c.deletedAt ? h`<p>Er zijn bij deze ${c.useCase === "delen" ? "uitwisseling" : "ophaalactie"} geen gegevens ${c.useCase === "delen" ? "gedeeld" : "ontvangen"}.</p>` : h``}
${body}
${unreadable > 0 ? h`<p>${unreadable === 1 ? "1 gegeven kon" : `${unreadable} gegevens konden`} niet worden gelezen.</p>` : h``}
<h2>Verzoeken</h2>
${
  c.requests.length === 0
    ? h`<p>Er zijn geen verzoeken gedaan.</p>`
    : h`<div class="scroll"><table class="data verzoeken"><caption class="sr-only">Verzoeken aan de zorgaanbieder</caption><thead><tr><th scope="col">Tijd</th><th scope="col">MedMij-Request-ID</th><th scope="col">Status</th><th scope="col">URI</th></tr></thead><tbody>
${c.requests.map((r) => h`<tr><td>${formatDate(r.at, { month: "short", seconds: true }) ?? r.at}</td><td><code>${r.requestId}</code></td><td>${r.status}</td><td><code>${r.uri}</code></td></tr>`)}</tbody></table></div>`
}
${c.deletedAt ? h`` : h`<form method="post" action="/collections/${c.id}/delete"><input type="hidden" name="csrf" value="${csrf}"><div class="actions"><button class="secondary" type="submit">Deze gegevens verwijderen</button></div></form>`}
<p><a href="/">Terug</a></p></div>`,
  });
}

/**
 * "Mijn gezondheidsgegevens" (GET /gegevens): everything the Person collected (not deleted, completed, Verzamelen)
 * merged per zib across collections, the newest collection winning for a resource a provider sent again; each
 * item with its source.
 */
export function overviewPage(pgo: string, items: readonly { detail: CollectionDetail; gdNaam: string }[], now: Date = new Date()): Response {
  const merged = mergedItems(items);
  const { body, shown } = renderSections(merged, { perItemSource: true, now });
  return page({
    title: pgo,
    heading: "Mijn gezondheidsgegevens",
    banner: pgo,
    body: h`<div class="breed">${ownNav("gegevens")}
${
  shown.length === 0
    ? h`<p>U hebt nog geen gezondheidsgegevens opgehaald. <a href="/">Kies een zorgaanbieder</a> om uw gegevens op te halen.</p>`
    : h`<p>Alles wat u bij uw zorgaanbieders hebt opgehaald, per onderwerp. Bij elk gegeven staat waar het vandaan komt.</p>
${tableOfContents(shown)}
${body}`
}
<p><a href="/">Terug</a></p></div>`,
  });
}

/** "Mijn metingen" (GET /metingen): the Person's own measurements, entering one, sharing them. */
export function measurementsPage(pgo: string, csrf: string, measurements: readonly OwnMeasurement[], targets: readonly OfferingView[]): Response {
  return page({
    title: pgo,
    heading: "Mijn metingen",
    banner: pgo,
    body: h`<div class="breed">${ownNav("metingen")}
${measurementsBody(csrf, measurements, targets)}
<p><a href="/">Terug</a></p></div>`,
  });
}

/** "Mijn documenten" (GET /documenten): the Person's own documents, uploading one, sharing them. */
export function documentsPage(pgo: string, csrf: string, docs: readonly OwnDocument[], targets: readonly OfferingView[]): Response {
  return page({
    title: pgo,
    heading: "Mijn documenten",
    banner: pgo,
    body: h`<div class="breed">${ownNav("documenten")}
${documentsBody(csrf, docs, targets)}
<p><a href="/">Terug</a></p></div>`,
  });
}

export function endPage(pgo: string, csrf: string, account = false): Response {
  return page({
    title: pgo,
    heading: "Dienst beëindigen",
    banner: pgo,
    body: h`<p>Voordat u de dienst beëindigt: download uw portabiliteitsrapport. Daarmee kunt u uw gegevens bij een andere persoonlijke gezondheidsomgeving opnieuw ophalen.</p>
${account ? h`<p>Daarna worden uw account, uw passkeys en al uw gegevens hier verwijderd; uw passkey werkt hier dan niet meer. Het logboek van wat u deed blijft de wettelijke termijn bewaard.</p>` : h``}
<p><a href="/api/portabiliteitsrapport?van=2000-01-01&amp;tot=2100-01-01">Portabiliteitsrapport downloaden</a></p>
<form method="post" action="/account/end"><input type="hidden" name="csrf" value="${csrf}">
<div class="actions"><button class="primary" type="submit">Ja, beëindig de dienst en verwijder mijn gegevens</button></div></form>
<p><a href="/">Terug</a></p>`,
  });
}

/**
 * The step from the PGO to the provider. A form submission cannot redirect there directly: Chrome
 * checks CSP form-action against every redirect of the submission, including the provider's own
 * redirect to DigiD, which the PGO cannot know. So the submission ends here, and the Refresh header
 * (a new navigation, no script needed) or the link takes the Person on.
 */
export function handoffPage(pgo: string, zorgaanbieder: string, location: string, o: { heading?: string; purpose?: string; headers?: Record<string, string> } = {}): Response {
  return page({
    title: pgo,
    heading: o.heading ?? "U gaat naar uw zorgaanbieder",
    banner: pgo,
    headers: { refresh: `0;url=${location}`, ...o.headers },
    body: h`<p>U wordt doorgestuurd naar ${zorgaanbieder} ${o.purpose ?? "om in te loggen en toestemming te geven"}.</p>
<p><a href="${location}">Doorgaan naar ${zorgaanbieder}</a></p>`,
  });
}
