/**
 * SPEC G-6, X-4: Nictiz's MedMij qualification of the Resource Server in upstream mode. The provider's own FHIR
 * server (test/peers/fhir-server.mjs: node-fhir-server-core with a search written apart from the product,
 * fhir-search.mjs) holds the same fixtures the load scripts load; every XIS-side Cert script of the four standards
 * runs through the RS, JSON and XML, with real tokens. The qualification's queries pass the compartment check and
 * reach the upstream with their parameters and the Person's filter; every answer is still checked.
 */
import { nictizResources, PROVIDER } from "./harness.ts";
import { qualificationSuite } from "./suite.ts";

qualificationSuite({
  mode: "upstream",
  title: "G-6 upstream mode: every XIS-side Cert script passes through the RS in front of the provider's own FHIR server",
  network: { port: 0, fhir: "upstream", fhirOptions: { providers: [PROVIDER], extraResources: { [PROVIDER]: nictizResources() } } },
});
