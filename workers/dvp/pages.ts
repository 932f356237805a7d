/** The PGO's server-rendered pages (Dutch, no scripts, strict headers via shared/html/page.ts); login: login/pages.ts. */
import type { CollectionDetail, CollectionSummary } from "../../durable-objects/person-store.ts";
import { type Html, h, page } from "../shared/html/page.ts";
import type { PgoPerson } from "./persons.ts";

export interface OfferingView {
  readonly zorgaanbieder: string;
  readonly gegevensdienstId: string;
  readonly naam: string;
  readonly useCase: "verzamelen" | "delen";
}

function offeringForm(o: OfferingView, csrf: string): Html {
  const hidden = h`<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="zorgaanbieder" value="${o.zorgaanbieder}"><input type="hidden" name="gegevensdienst" value="${o.gegevensdienstId}">`;
  if (o.useCase === "verzamelen") {
    return h`<form method="post" action="/verzamelen">${hidden}<button class="primary" type="submit">Verzamelen: ${o.naam}</button></form>`;
  }
  const id = `${o.zorgaanbieder}-${o.gegevensdienstId}`.replace(/[^a-z0-9-]/g, "-");
  return h`<form method="post" action="/delen">${hidden}
<fieldset><legend>Delen: ${o.naam}</legend>
<input type="hidden" name="kind" value="bloeddruk">
<label for="sys-${id}">Bovendruk (mmHg)</label><input id="sys-${id}" name="systolic" inputmode="numeric" required>
<label for="dia-${id}">Onderdruk (mmHg)</label><input id="dia-${id}" name="diastolic" inputmode="numeric" required>
<div class="actions"><button class="primary" type="submit">Bloeddruk delen</button></div></fieldset></form>`;
}

export function dashboard(pgo: string, person: PgoPerson, csrf: string, query: string, offerings: readonly OfferingView[], collections: readonly CollectionSummary[]): Response {
  const byProvider = new Map<string, OfferingView[]>();
  for (const o of offerings) byProvider.set(o.zorgaanbieder, [...(byProvider.get(o.zorgaanbieder) ?? []), o]);
  return page({
    title: pgo,
    heading: person.naam ? `Welkom, ${person.naam}` : "Welkom",
    banner: pgo,
    body: h`<form method="get" action="/"><label for="q">Zoek een zorgaanbieder of gegevensdienst</label><input id="q" name="q" value="${query}"></form>
<h2>Zorgaanbieders</h2>
${[...byProvider].map(([naam, os]) => h`<section aria-label="${naam}"><h3>${naam}</h3><div class="actions">${os.map((o) => offeringForm(o, csrf))}</div></section>`)}
${byProvider.size === 0 ? h`<p>Geen zorgaanbieders gevonden.</p>` : h``}
<h2>Uw gegevens</h2>
<table><thead><tr><th>Wanneer</th><th>Zorgaanbieder</th><th>Gegevensdienst</th><th>Wat</th><th>Resultaat</th><th></th></tr></thead><tbody>
${collections.map(
  (c) => h`<tr><td>${c.at}</td><td>${c.zorgaanbieder}</td><td>${c.gegevensdienstId}</td><td>${c.useCase}</td><td>${c.deletedAt ? "verwijderd" : `${c.outcome} (${c.resourceCount})`}</td>
<td>${c.deletedAt ? h`` : h`<a href="/collections/${c.id}">Bekijken</a> <form method="post" action="/collections/${c.id}/delete"><input type="hidden" name="csrf" value="${csrf}"><button class="secondary" type="submit">Verwijderen</button></form>`}</td></tr>`,
)}
</tbody></table>
<h2>Overzichten</h2>
<form method="get" action="/api/portabiliteitsrapport"><label for="van">Portabiliteitsrapport vanaf</label><input id="van" name="van" type="date" required>
<label for="tot">tot en met</label><input id="tot" name="tot" type="date" required>
<div class="actions"><button class="secondary" type="submit">Rapport downloaden</button></div></form>
<p><a href="/api/log">Uw logboek (NEN 7513) downloaden</a>${person.kind === "account" ? h` · <a href="/account/passkeys">Passkeys beheren</a>` : h``} · <a href="/account/end">Dienst beëindigen</a></p>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="${csrf}"><button class="secondary" type="submit">Uitloggen</button></form>`,
  });
}

export function collectionPage(pgo: string, c: CollectionDetail): Response {
  const summary = (json: string): string => {
    try {
      const r = JSON.parse(json) as { resourceType?: string; id?: string; code?: { text?: string; coding?: { display?: string }[] } };
      return `${r.resourceType ?? "?"}/${r.id ?? "?"} ${r.code?.text ?? r.code?.coding?.[0]?.display ?? ""}`.trim();
    } catch {
      return "(onleesbaar)";
    }
  };
  return page({
    title: pgo,
    heading: `${c.useCase === "delen" ? "Gedeeld met" : "Opgehaald bij"} ${c.zorgaanbieder}`,
    banner: pgo,
    body: h`<p>Gegevensdienst ${c.gegevensdienstId}, ${c.at}, resultaat: ${c.outcome}.</p>
<h2>Gegevens (${c.resources.length})</h2><ul>${c.resources.map((r) => h`<li>${summary(r)}</li>`)}</ul>
<h2>Verzoeken</h2><table><thead><tr><th>Tijd</th><th>MedMij-Request-ID</th><th>Status</th><th>URI</th></tr></thead><tbody>
${c.requests.map((r) => h`<tr><td>${r.at}</td><td>${r.requestId}</td><td>${r.status}</td><td>${r.uri}</td></tr>`)}</tbody></table>
<p><a href="/">Terug</a></p>`,
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
