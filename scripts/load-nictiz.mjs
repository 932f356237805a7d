#!/usr/bin/env node
// `npm run load:nictiz`: Nictiz's qualification fixtures into a provider's store through its operator FHIR
// interface (SPEC X-10, G-6), as the provider's system would send them. Default: the local network of
// `npm run simulate` (Zorgbridge's feed for umcharderwijk). Against a deployment:
//
//   OPERATOR_TOKEN=... npm run load:nictiz -- --base https://feed.example.nl/<zorgaanbieder>/fhir
//
// The credential comes from OPERATOR_TOKEN (never a command-line argument: those show in `ps` and shell history).
// Exit status: 0 when every load script passed, 1 otherwise, 2 for a usage error.
import { lookup } from "node:dns";
import { parseArgs } from "node:util";
import { Agent, fetch as undiciFetch } from "undici";
import { formatReport, formatSummary, hasFailures } from "../test/testscript/index.mjs";
import { HOSTS } from "./local-network.mjs";
import { loadNictiz } from "./nictiz-load.mjs";

const { values } = parseArgs({ options: { base: { type: "string" }, help: { type: "boolean" } } });
if (values.help) {
  console.log("usage: OPERATOR_TOKEN=... npm run load:nictiz [-- --base <operator FHIR base of one Zorgaanbieder>]");
  process.exit(0);
}
const operatorToken = process.env.OPERATOR_TOKEN;
if (!operatorToken) {
  console.error("OPERATOR_TOKEN is not set: `npm run simulate` prints the local network's operator credential");
  process.exit(2);
}
const baseUrl = values.base ?? `http://${HOSTS.operatorZorgbridge}:${process.env.PORT ?? 8787}/umcharderwijk/fhir`;
// As a browser resolves them: every *.localhost name is loopback.
const dispatcher = new Agent({
  connect: { lookup: (name, options, cb) => (name.endsWith(".localhost") ? (options?.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)) : lookup(name, options, cb)) },
});
const reports = await loadNictiz({ baseUrl, operatorToken, fetch: (url, init) => undiciFetch(url, { ...init, dispatcher }) });
for (const r of reports) console.log(formatReport(r));
console.log(formatSummary(reports));
await dispatcher.close();
process.exit(hasFailures(reports) ? 1 : 0);
