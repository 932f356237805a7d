// The whole local MedMij network in one Miniflare instance (workerd), for `npm run simulate`, the
// end-to-end tests and the benchmarks. Production workers run unchanged; only the "local-network"
// worker (workers/local-network) stands in for DNS, TLS termination and the edge's mutual TLS.
import { Miniflare } from "miniflare";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { OUT_DIR, buildWorkers } from "./build.mjs";
import { publishSeedLists } from "../kv-seed/seed.mjs";
import { fhirSeed } from "../kv-seed/fhir/data.mjs";

const COMPAT = { compatibilityDate: "2026-04-20", compatibilityFlags: ["service_binding_extra_handlers"] };
const root = new URL("../", import.meta.url);
const bundle = (name) => fileURLToPath(new URL(`${OUT_DIR}/${name}.js`, root));

export const HOSTS = {
  registratie: "registratie.medmij.localhost",
  digid: "digid.medmij.localhost",
  umcharderwijk: "umcharderwijk.zorgbridge.localhost",
  delinde: "delinde.zorgbridge.localhost",
  ziekenhuisoost: "ziekenhuisoost.medicloud.localhost",
  dvpKluis: "dvp.gezondheidskluis.localhost",
  dvpApp: "dvp.mijnzorgapp.localhost",
};

const sqlite = (className) => ({ className, useSQLite: true });

function dvza(name, hostnames, providers) {
  return {
    name,
    hostnames,
    providers,
    options: {
      bindings: {
        REGISTRATIE_URL: `https://${HOSTS.registratie}`,
        DVZA_HOSTNAMES: hostnames.join(","),
        GRANT_SHARDS: "4",
        REQUIRE_CLIENT_ID_IN_TOKEN_REQUEST: "false",
        AUTHENTICATOR: "digid-sim",
        DIGID_SIM_URL: `https://${HOSTS.digid}`,
      },
      kvNamespaces: { LISTS: `${name}-lists` },
      durableObjects: {
        GRANTS: sqlite("GrantStore"),
        SESSIONS: sqlite("AuthorizationSessions"),
        RATE_LIMITER: sqlite("RateLimiter"),
        FHIR: sqlite("FhirStore"),
      },
    },
    script: "dvza",
    node: true,
  };
}

function dvp(name, hostname, organisatienaam) {
  return {
    name,
    hostnames: [hostname],
    options: {
      bindings: { REGISTRATIE_URL: `https://${HOSTS.registratie}`, DVP_HOSTNAME: hostname, DVP_NAME: organisatienaam },
      kvNamespaces: { LISTS: `${name}-lists` },
      durableObjects: { PERSONS: sqlite("PersonStore"), AUDIT: sqlite("AuditLog"), SESSIONS: sqlite("DvpSessions") },
      // The DVP's client certificate: its back-channel requests leave through the network's mTLS entrypoint.
      serviceBindings: { MTLS: { name: "local-network", entrypoint: "MutualTls", props: { clientHostname: hostname } } },
    },
    script: "dvp",
    node: true,
  };
}

/** The network: who runs where. `only` limits it to some workers (by name) while others are unfinished. */
export function networkLayout({ only } = {}) {
  const all = [
    { name: "registratie", hostnames: [HOSTS.registratie], script: "registratie", options: { kvNamespaces: { LISTS: "registratie-lists" } } },
    { name: "digid-sim", hostnames: [HOSTS.digid], script: "digid-sim", options: { durableObjects: { ARTIFACTS: sqlite("DigidArtifacts") } } },
    dvza("dvza-zorgbridge", [HOSTS.umcharderwijk, HOSTS.delinde], ["umcharderwijk@medmij", "huisartsenpraktijkdelinde@medmij"]),
    dvza("dvza-medicloud", [HOSTS.ziekenhuisoost], ["ziekenhuisoost@medmij"]),
    dvp("dvp-gezondheidskluis", HOSTS.dvpKluis, "Gezondheidskluis & Co"),
    dvp("dvp-mijnzorgapp", HOSTS.dvpApp, "MijnZorgApp"),
  ];
  return only ? all.filter((w) => only.includes(w.name)) : all;
}

/**
 * Build, start and seed the network. Returns helpers to reach it. Lists are published through
 * Registratie and every node's list refresh runs once before this resolves.
 */
export async function startNetwork({ port = 8787, host = "127.0.0.1", only, build = true, seed = true, verbose = false, extraWorkers = [], dvzaBindings = {}, faults } = {}) {
  const layout = [
    ...networkLayout({ only }).map((w) => (w.script === "dvza" ? { ...w, options: { ...w.options, bindings: { ...w.options.bindings, ...dvzaBindings } } } : w)),
    ...extraWorkers,
  ];
  const scripts = [...new Set(layout.filter((w) => w.script).map((w) => w.script)), "local-network"];
  if (build) await buildWorkers(scripts);
  const adminToken = randomBytes(32).toString("base64url");
  const hostMap = Object.fromEntries(layout.flatMap((w) => w.hostnames.map((h) => [h, w.name.replace(/-/g, "_").toUpperCase()])));
  const workers = [
    {
      name: "local-network",
      modules: true,
      scriptPath: bundle("local-network"),
      ...COMPAT,
      bindings: { HOSTS: JSON.stringify(hostMap), DEFAULT_SERVICE: "REGISTRATIE", ...(faults ? { FAULTS: JSON.stringify(faults) } : {}) },
      serviceBindings: Object.fromEntries(layout.map((w) => [w.name.replace(/-/g, "_").toUpperCase(), w.name])),
    },
    ...layout.map((w) => ({
      name: w.name,
      modules: true,
      ...(w.script ? { scriptPath: bundle(w.script) } : { script: w.source }),
      ...COMPAT,
      ...w.options,
      bindings: { ...(w.options.bindings ?? {}), ...(w.name === "registratie" ? { ADMIN_TOKEN: adminToken } : {}) },
      // Every worker's own outbound fetch goes through the simulated internet.
      outboundService: "local-network",
    })),
  ];
  const mf = new Miniflare({ host, port, workers, verbose, log: undefined });
  const url = await mf.ready;
  const base = (hostname) => `http://${hostname}:${url.port}`;
  /** Fetch as a browser or curl would: http://<host>.localhost:<port>, resolved to loopback. */
  const browse = (hostname, path, init) => mf.dispatchFetch(new URL(path, base(hostname)).href, init);
  const net = {
    mf,
    port: Number(url.port),
    adminToken,
    layout,
    base,
    browse,
    /** Each provider's FHIR data, into its FhirStore on the deployment that hosts it. */
    async seedFhir() {
      for (const w of layout.filter((w) => w.providers)) {
        const ns = await mf.getDurableObjectNamespace("FHIR", w.name);
        for (const naam of w.providers) await ns.get(ns.idFromName(naam)).seed(fhirSeed(naam));
      }
    },
    async refreshLists() {
      for (const w of layout.filter((w) => w.node)) await (await mf.getWorker(w.name)).scheduled({ cron: "*/5 * * * *" });
    },
    async dispose() {
      await mf.dispose();
    },
  };
  if (seed) {
    await publishSeedLists((u, init) => browse(HOSTS.registratie, new URL(u).pathname, init), base(HOSTS.registratie), adminToken);
    await net.refreshLists();
    await net.seedFhir();
  }
  return net;
}
