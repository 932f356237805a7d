// Nictiz's test system, server side, on the local network (issue 17): the FHIR server double of the PHR-side
// TestScripts (test/testscript/server.mjs) behind a hostname, with a token per qualification patient and a
// recording of everything the PGO (the DVP, the system under test) asks it, so the PHR scripts can be evaluated
// on what happened (test/testscript/phr.mjs). The local network routes `host` to `nodeServices[host]`, as it
// routes test/peers/fhir-server.mjs.
import { randomBytes } from "node:crypto";
import { createPhrServer, evaluatePhrScript, listPhrScripts, patientForTokenFrom, recordExchanges } from "../testscript/index.mjs";

/**
 * @param {{ host?: string, path?: string, tokenFor?: Record<string, string>, today?: string, standards?: readonly string[] }} [options]
 */
export async function createNictizSim(options = {}) {
  const host = options.host ?? "fhir.nictiz-sim.localhost";
  const baseUrl = `https://${host}${options.path ?? "/48/fhir"}`;
  /** @type {Record<string, string>} patient -> Authorization value */
  const tokenFor = { ...(options.tokenFor ?? {}) };
  const server = await createPhrServer({
    baseUrl, today: options.today, standards: options.standards,
    patientForToken: (token) => patientForTokenFrom(tokenFor)(token),
  });
  if (!options.tokenFor) for (const patient of server.patients) tokenFor[patient] = `Bearer ${randomBytes(24).toString("base64url")}`;
  const recorder = recordExchanges(server);
  return {
    host,
    baseUrl,
    /** per qualification patient, the Authorization value the PGO must be given (and the evaluation expects) */
    tokenFor,
    server,
    recorder,
    nodeServices: { [host]: recorder.handle },
    /**
     * Evaluates PHR scripts (default all 21) on what the PGO did so far.
     * @param {string[]} [scripts]
     */
    async evaluate(scripts = listPhrScripts(options.standards)) {
      const reports = [];
      for (const script of scripts) reports.push(await evaluatePhrScript(script, recorder.exchanges, { baseUrl, tokenFor, ...(options.today !== undefined && { today: options.today }) }));
      return reports;
    },
    clear: () => recorder.clear(),
  };
}
