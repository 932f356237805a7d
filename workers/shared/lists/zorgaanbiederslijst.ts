/**
 * The Zorgaanbiederslijst (provider list): per Zorgaanbieder the Gegevensdiensten it offers with
 * their authorization, token and resource endpoints (L-1, L-6, L-7, G-3).
 */
import type { XmlElement } from "../xml/types.ts";
import { child, childElements, childText, nested, textOf } from "./element.ts";
import { readHeader } from "./header.ts";
import type { AangebodenGegevensdienst, Zorgaanbieder, Zorgaanbiederslijst } from "./model.ts";

export function readZorgaanbiederslijst(root: XmlElement, release: string): Zorgaanbiederslijst {
  const zorgaanbieders = nested(root, "Zorgaanbieders", "Zorgaanbieder").map(
    (za): Zorgaanbieder => ({
      naam: childText(za, "Zorgaanbiedernaam"),
      gegevensdiensten: nested(za, "Gegevensdiensten", "Gegevensdienst").map(
        (gd): AangebodenGegevensdienst => ({
          id: childText(gd, "GegevensdienstId"),
          authorizationEndpoint: endpoint(gd, "AuthorizationEndpoint", "AuthorizationEndpointuri"),
          tokenEndpoint: endpoint(gd, "TokenEndpoint", "TokenEndpointuri"),
          systeemrollen: nested(gd, "Systeemrollen", "Systeemrol").map((sr) => ({
            code: childText(sr, "Systeemrolcode"),
            resourceEndpoint: endpoint(sr, "ResourceEndpoint", "ResourceEndpointuri"),
          })),
        }),
      ),
    }),
  );
  return { kind: "Zorgaanbiederslijst", release, ...readHeader(root), zorgaanbieders };
}

function endpoint(parent: XmlElement, wrapper: string, uri: string): string {
  const w = child(parent, wrapper);
  return w ? textOf(childElements(w, uri)[0]) : "";
}

/**
 * L-8 (1.1.2): every https connection uses port 443, so an endpoint that names another port is
 * unusable even though the release-2 XSD still allows one. Callers skip such endpoints.
 */
export function isPort443Https(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  // URL normalises an explicit :443 on https to "".
  return url.protocol === "https:" && url.port === "" && url.username === "" && url.password === "";
}

export interface Offering {
  readonly zorgaanbieder: Zorgaanbieder;
  readonly gegevensdienst: AangebodenGegevensdienst;
}

export class ZorgaanbiedersIndex {
  private readonly byNaam: ReadonlyMap<string, Zorgaanbieder>;
  constructor(readonly list: Zorgaanbiederslijst) {
    this.byNaam = new Map(list.zorgaanbieders.map((z) => [z.naam, z]));
  }

  /** By full name, `umcharderwijk@medmij` (L-6). */
  zorgaanbieder(naam: string): Zorgaanbieder | undefined {
    return this.byNaam.get(naam);
  }

  offering(naam: string, gegevensdienstId: string): Offering | undefined {
    const zorgaanbieder = this.byNaam.get(naam);
    const gegevensdienst = zorgaanbieder?.gegevensdiensten.find((g) => g.id === gegevensdienstId);
    return zorgaanbieder && gegevensdienst ? { zorgaanbieder, gegevensdienst } : undefined;
  }

  /** Every (Zorgaanbieder, Gegevensdienst) pair. */
  *offerings(): Generator<Offering> {
    for (const zorgaanbieder of this.list.zorgaanbieders)
      for (const gegevensdienst of zorgaanbieder.gegevensdiensten) yield { zorgaanbieder, gegevensdienst };
  }

  /** Case-insensitive substring search on the name, for a Person looking for their provider. */
  search(query: string): Zorgaanbieder[] {
    const q = query.trim().toLowerCase();
    return this.list.zorgaanbieders.filter((z) => z.naam.includes(q));
  }
}
