// `npm run simulate`: the whole local MedMij network on one port. Ctrl-C stops it.
// `npm run simulate:deno` (or DENO=1): every role on Deno instead (scripts/local-network-deno.mjs), behind the same
// front door; DATABASE_URL=postgres://... then keeps each deployment's shared state in PostgreSQL (a database each).
import { HOSTS, startNetwork } from "./local-network.mjs";
import { loadNictiz, nictizResources } from "./nictiz-load.mjs";
import { formatReport, hasFailures } from "../test/testscript/index.mjs";

const port = Number(process.env.PORT ?? 8787);
const only = process.env.ONLY ? process.env.ONLY.split(",") : undefined;
// AUTHN=digid-saml or AUTHN=oidc: the DVZAs authenticate through the SAML test IdP or the OIDC broker.
const authn = process.env.AUTHN ?? "digid-sim";
// FHIR=upstream: umcharderwijk@medmij's Resource Server fronts its own FHIR server (X-4) instead of a FhirStore.
const fhir = process.env.FHIR ?? "store";
// X-9: the PGO Gezondheidskluis logs Persons in with passkeys, its own OpenID Connect provider and the test
// Persons; PGO_IDP=0 leaves the provider out.
const pgoIdp = process.env.PGO_IDP !== "0";
// Nictiz's qualification fixtures beside the network's own data (NICTIZ=0 leaves them out): fed through the
// operator interface in store mode, in the provider's own FHIR server in upstream mode. Log in at the DigiD
// simulator as one of their patients (XXX_Helleman for a whole BgZ) to see them in the PGO.
const nictiz = process.env.NICTIZ !== "0";
const deno = process.env.DENO === "1" || process.argv.includes("--deno");
const umc = "umcharderwijk@medmij";
const net = await startNetwork({ port, only, verbose: process.env.VERBOSE === "1", authn, fhir, pgoIdp, ...(deno ? { deno, postgres: process.env.DATABASE_URL } : {}), ...(nictiz && fhir === "upstream" ? { fhirOptions: { extraResources: { [umc]: nictizResources() } } } : {}) });
if (nictiz && fhir !== "upstream" && net.layout.some((w) => w.hostnames.includes(HOSTS.operatorZorgbridge))) {
  const loaded = await loadNictiz({ baseUrl: `${net.base(HOSTS.operatorZorgbridge)}/umcharderwijk/fhir`, operatorToken: net.operatorToken, fetch: net.fetch });
  if (hasFailures(loaded)) console.error("Loading Nictiz's fixtures failed:\n" + formatReport(loaded.filter((r) => hasFailures(r))));
}

const line = (label, url) => console.log(`  ${label.padEnd(34)} ${url}`);
console.log(`\nLocal MedMij network on http://127.0.0.1:${net.port} (hostnames *.localhost resolve to loopback)${deno ? ", every role on Deno behind nginx" : ""}\n`);
line("Registratie (lists)", `${net.base(HOSTS.registratie)}/MedMij_Whitelist.xml?release=2`);
line("  same, by address", `http://127.0.0.1:${net.port}/MedMij_Zorgaanbiederslijst.xml?release=2`);
for (const w of net.layout) {
  if (w.name === "registratie") continue;
  for (const h of w.hostnames) line(`${w.name}`, net.base(h));
}
if (net.layout.some((w) => w.name.startsWith("dvp-"))) {
  console.log(`\nStart here: ${net.base(HOSTS.dvpKluis)}/  (the PGO of "Gezondheidskluis & Co")`);
  console.log(`  log in with a test Person, create an account with a passkey${net.pgoIdp ? `, or use its own OpenID Connect provider (${net.base(net.pgoIdp.host)})` : ""}`);
}
if (fhir === "upstream") for (const [naam, u] of Object.entries(net.upstreams)) console.log(`\n${naam} serves from its own FHIR server ${u.baseUrl}`);
if (nictiz) console.log(`\nNictiz's qualification data at ${umc}: at the DigiD simulator, log in as BSN 999911120 (XXX_Helleman) for a whole BgZ`);
console.log(`\nPerson authentication: ${authn}${authn === "digid-sim" ? " (AUTHN=digid-saml or AUTHN=oidc for the production adapters)" : ""}`);
console.log(`\nRegistratie admin token (PUT /admin/lists/<file>): ${net.adminToken}`);
if (net.layout.some((w) => w.hostnames.includes(HOSTS.operatorZorgbridge))) {
  console.log(`Operator feed (X-10) of Zorgbridge: ${net.base(HOSTS.operatorZorgbridge)}/<zorgaanbieder>/fhir, Authorization: Bearer ${net.operatorToken}`);
  console.log(`  load Nictiz's qualification fixtures into umcharderwijk: OPERATOR_TOKEN=${net.operatorToken} npm run load:nictiz`);
}
console.log("Lists refresh on every node every 5 minutes. Ctrl-C to stop.\n");

// On Deno every node refreshes its lists itself (serve.ts: at start, then Deno.cron), as the cron trigger does on the edge.
const timer = deno ? undefined : setInterval(() => net.refreshLists().catch((e) => console.error("refresh failed:", e)), 5 * 60_000);
const stop = async () => {
  clearInterval(timer);
  await net.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
