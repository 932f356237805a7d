/**
 * The Gegevensdienstnamenlijst: the display name of every Gegevensdienst (G-1), used in the consent
 * text (AS-1) and by the DVP to let a Person pick a Gegevensdienst.
 */
import type { XmlElement } from "../xml/types.ts";
import { childText, nested } from "./element.ts";
import { readHeader } from "./header.ts";
import type { GegevensdienstNaam, Gegevensdienstnamenlijst } from "./model.ts";

export function readGegevensdienstnamenlijst(root: XmlElement, release: string): Gegevensdienstnamenlijst {
  const gegevensdiensten = nested(root, "Gegevensdiensten", "Gegevensdienst").map((el) => ({
    id: childText(el, "GegevensdienstId"),
    weergavenaam: childText(el, "Weergavenaam"),
  }));
  return { kind: "Gegevensdienstnamenlijst", release, ...readHeader(root), gegevensdiensten };
}

export class GegevensdienstIndex {
  private readonly byId: ReadonlyMap<string, GegevensdienstNaam>;
  constructor(readonly list: Gegevensdienstnamenlijst) {
    this.byId = new Map(list.gegevensdiensten.map((g) => [g.id, g]));
  }

  get(id: string): GegevensdienstNaam | undefined {
    return this.byId.get(id);
  }

  /** Case-insensitive substring search on the display name (what a Person types). */
  search(query: string): GegevensdienstNaam[] {
    const q = query.trim().toLocaleLowerCase("nl");
    return this.list.gegevensdiensten.filter((g) => g.weergavenaam.toLocaleLowerCase("nl").includes(q));
  }
}
