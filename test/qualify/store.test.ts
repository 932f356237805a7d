/**
 * SPEC G-6, X-10: Nictiz's MedMij qualification of the Resource Server in store mode. The provider's system feeds
 * the qualification fixtures through the operator interface (each standard's `_LoadResources` script), then every
 * XIS-side Cert script of the four standards runs, JSON and XML, with real tokens. The gate: no failed assert but
 * the contradictions listed in harness.ts; what cannot be evaluated here (Nictiz's profiles) is listed with its
 * reason, never counted as passed.
 */
import { loadIntoStore } from "./harness.ts";
import { qualificationSuite } from "./suite.ts";

qualificationSuite({
  mode: "store",
  title: "G-6 store mode: every XIS-side Cert script passes",
  network: { port: 0 },
  load: { title: "G-6 store mode: the provider's system loads Nictiz's fixtures through the operator interface (X-10)", run: loadIntoStore },
});
