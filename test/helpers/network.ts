/**
 * The local MedMij network of kv-seed/lists as typed list objects, for tests that need lists in a
 * node's KV without going through Registratie (the refresh path has its own tests).
 */
import { writeStored } from "../../workers/shared/lists/store.ts";
import type { Gegevensdienstnamenlijst, OAuthclientlist, Whitelist, Zorgaanbieder, Zorgaanbiederslijst } from "../../workers/shared/lists/model.ts";
import type { KvStore } from "../../workers/shared/ports.ts";

export const DVP_KLUIS = "dvp.gezondheidskluis.localhost";
export const DVP_APP = "dvp.mijnzorgapp.localhost";
export const UMC_HOST = "umcharderwijk.zorgbridge.localhost";
export const DELINDE_HOST = "delinde.zorgbridge.localhost";
export const OOST_HOST = "ziekenhuisoost.medicloud.localhost";

const SYSTEEMROL: Readonly<Record<string, string[]>> = {
  "48": ["MM-1.2-BZB-FHIR"],
  "24": ["LAB-1.2-LRB-FHIR"],
  "51": ["MM-1.2-PLB-FHIR", "MM-1.2-PDB-FHIR"],
  "5": ["MM-1.2-MVS-FHIR"],
  "1005": ["LOCAL-MVV-FHIR"],
  "1051": ["LOCAL-PDS-FHIR"],
};

function provider(naam: string, host: string, ids: string[]): Zorgaanbieder {
  return {
    naam,
    gegevensdiensten: ids.map((id) => ({
      id,
      authorizationEndpoint: `https://${host}/oauth/authorize`,
      tokenEndpoint: `https://${host}/oauth/token`,
      systeemrollen: SYSTEEMROL[id]!.map((code) => ({ code, resourceEndpoint: `https://${host}/${id}/fhir` })),
    })),
  };
}

const HEADER = { tijdstempel: "2026-11-01T09:00:00Z" } as const;

export const ZAL: Zorgaanbiederslijst = {
  kind: "Zorgaanbiederslijst",
  release: "2",
  ...HEADER,
  volgnummer: "1001",
  zorgaanbieders: [
    provider("umcharderwijk@medmij", UMC_HOST, ["48", "24", "51", "5", "1005", "1051"]),
    provider("huisartsenpraktijkdelinde@medmij", DELINDE_HOST, ["48", "5"]),
    provider("ziekenhuisoost@medmij", OOST_HOST, ["48", "24", "51"]),
  ],
};

export const WHITELIST: Whitelist = {
  kind: "Whitelist",
  release: "2",
  ...HEADER,
  volgnummer: "2001",
  hostnames: [UMC_HOST, DELINDE_HOST, OOST_HOST, DVP_KLUIS, DVP_APP],
};

export const OCL: OAuthclientlist = {
  kind: "OAuthclientlist",
  release: "3",
  ...HEADER,
  volgnummer: "3001",
  clients: [
    { hostname: DVP_KLUIS, organisatienaam: "Gezondheidskluis & Co", gegevensdiensten: ["5", "24", "48", "51", "1005", "1051"] },
    { hostname: DVP_APP, organisatienaam: "MijnZorgApp", gegevensdiensten: ["48"] },
  ],
};

export const GNL: Gegevensdienstnamenlijst = {
  kind: "Gegevensdienstnamenlijst",
  release: "1",
  ...HEADER,
  volgnummer: "4001",
  gegevensdiensten: [
    { id: "5", weergavenaam: "Meetwaarden vitale functies" },
    { id: "24", weergavenaam: "Laboratoriumresultaten" },
    { id: "48", weergavenaam: "Basisgegevens Zorg" },
    { id: "51", weergavenaam: "Documenten" },
    { id: "1005", weergavenaam: "Zelfmetingen ophalen (lokaal)" },
    { id: "1051", weergavenaam: "Documenten delen (lokaal)" },
  ],
};

/** Put lists into a node's KV as its refresh would have (the sha256 only needs to be distinct per content). */
export async function storeLists(
  kv: KvStore,
  lists: { zal?: Zorgaanbiederslijst; whitelist?: Whitelist; ocl?: OAuthclientlist; gnl?: Gegevensdienstnamenlijst } = {},
): Promise<void> {
  for (const list of [lists.zal ?? ZAL, lists.whitelist ?? WHITELIST, lists.ocl ?? OCL, lists.gnl ?? GNL]) {
    await writeStored(kv, { list, sha256: `${list.kind}-${list.volgnummer}-${JSON.stringify(list).length}`, etag: null, storedAt: Date.now() });
  }
}

/** `cf` for a request over mutual TLS from `hostname` (what Cloudflare fills in when mTLS is on). */
export function mtlsFrom(hostname: string, overrides: Record<string, string> = {}): { tlsClientAuth: Record<string, string> } {
  return {
    tlsClientAuth: {
      certPresented: "1",
      certVerified: "SUCCESS",
      certRevoked: "0",
      certSubjectDN: `CN=${hostname},O=Test,C=NL`,
      certFingerprintSHA256: "ab".repeat(32),
      ...overrides,
    },
  };
}
