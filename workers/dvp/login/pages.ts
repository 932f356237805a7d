/** The PGO's login pages (SPEC X-9), Dutch, strict headers (shared/html/page.ts); passkeys need its one script. */
import type { StoredPasskey } from "../../../durable-objects/pgo-accounts.ts";
import { type Html, h, page } from "../../shared/html/page.ts";
import { TEST_PERSONS, type PgoPerson } from "../persons.ts";
import type { LoginConfig } from "./config.ts";

export const PASSKEY_SCRIPT_PATH = "/static/passkey.js";

const status = h`<p class="status" role="status" aria-live="polite"></p>`;

export function loginPage(pgo: string, config: LoginConfig): Response {
  const parts: Html[] = [];
  if (config.passkey) {
    parts.push(h`<section aria-labelledby="passkey-inloggen"><h2 id="passkey-inloggen">Inloggen met een passkey</h2>
<p>Met een passkey logt u in met uw vingerafdruk, gezicht of pincode op uw telefoon, computer of beveiligingssleutel. Er is geen wachtwoord.</p>
<form data-passkey="get" method="post" action="/passkey/login/options" data-finish="/passkey/login">
<div class="actions"><button class="primary" type="submit">Passkey gebruiken</button></div>${status}</form></section>
<section aria-labelledby="account-maken"><h2 id="account-maken">Nieuw hier? Maak een account aan</h2>
<form data-passkey="create" method="post" action="/passkey/register/options" data-finish="/passkey/register">
<label for="naam">Hoe mogen we u noemen?</label><input id="naam" name="naam" autocomplete="name" maxlength="80" required>
<div class="actions"><button class="secondary" type="submit">Account aanmaken met passkey</button></div>${status}</form>
<p>Uw passkey is de enige sleutel van uw account. Voeg daarna een tweede passkey toe, op een ander apparaat: alleen daarmee komt u weer binnen als u de eerste kwijtraakt.</p></section>
<noscript><p>Voor passkeys moet JavaScript aan staan.</p></noscript>`);
  }
  if (config.oidc) {
    parts.push(h`<section aria-labelledby="oidc-inloggen"><h2 id="oidc-inloggen">Inloggen via ${config.oidc.providerName}</h2>
<form method="post" action="/login/oidc"><div class="actions"><button class="${config.passkey ? "secondary" : "primary"}" type="submit">Doorgaan met ${config.oidc.providerName}</button></div></form></section>`);
  }
  if (config.methods.has("test-persons")) {
    parts.push(h`<section aria-labelledby="testpersonen"><h2 id="testpersonen">Testpersonen</h2>
<p><span class="dev">Ontwikkelomgeving</span> Kies een testpersoon. Nooit in acceptatie of productie.</p>
<form method="post" action="/login">
<label for="person">Testpersoon</label>
<select id="person" name="person">${TEST_PERSONS.map((p) => h`<option value="${p.id}">${p.naam}</option>`)}</select>
<div class="actions"><button class="primary" type="submit">Inloggen</button></div>
</form></section>`);
  }
  return page({ title: pgo, heading: `Inloggen bij ${pgo}`, banner: pgo, body: h`${parts}`, ...(config.passkey ? { script: PASSKEY_SCRIPT_PATH } : {}) });
}

const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : "nog niet");

export function passkeysPage(pgo: string, person: PgoPerson, csrf: string, passkeys: readonly StoredPasskey[], hasOidc: boolean, notice?: string): Response {
  const removable = passkeys.length > 1 || hasOidc;
  return page({
    title: pgo,
    heading: "Uw passkeys",
    banner: pgo,
    script: PASSKEY_SCRIPT_PATH,
    body: h`${notice ? h`<div class="error" role="alert"><p>${notice}</p></div>` : h``}
<p>${person.naam ? `${person.naam}, u` : "U"} logt in met ${passkeys.length === 1 ? "één passkey" : `${passkeys.length} passkeys`}${hasOidc ? " of via uw inlogdienst" : ""}.
Raakt u een apparaat kwijt, dan komt u alleen binnen met een andere passkey: er is geen andere manier om uw account terug te krijgen.</p>
<table><thead><tr><th>Toegevoegd</th><th>Laatst gebruikt</th><th>Soort</th><th></th></tr></thead><tbody>
${passkeys.map(
  (p, i) => h`<tr><td>${day(p.createdAt)}</td><td>${day(p.lastUsedAt)}</td><td>${p.backedUp ? "gesynchroniseerd" : "op één apparaat"}</td>
<td>${removable ? h`<form method="post" action="/account/passkeys/verwijderen"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="passkey" value="${p.id}"><button class="secondary" type="submit" aria-label="Passkey ${i + 1} verwijderen">Verwijderen</button></form>` : h``}</td></tr>`,
)}
</tbody></table>
<form data-passkey="create" method="post" action="/passkey/add/options" data-finish="/passkey/add"><input type="hidden" name="csrf" value="${csrf}">
<div class="actions"><button class="primary" type="submit">Passkey toevoegen</button></div>${status}</form>
<p><a href="/">Terug</a></p>`,
  });
}
