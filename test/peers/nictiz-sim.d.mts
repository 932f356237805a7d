// Types for test/peers/nictiz-sim.mjs: Nictiz's test system, server side, for the PHR-side scripts.
import type { ExchangeRecorder, PhrServer, ScriptReport } from "../testscript/index.mjs";

export interface NictizSim {
  host: string;
  /** e.g. https://fhir.nictiz-sim.localhost/48/fhir */
  baseUrl: string;
  /** per qualification patient (resource id), the Authorization value ("Bearer ...") the PGO must be given */
  tokenFor: Record<string, string>;
  server: PhrServer;
  recorder: ExchangeRecorder;
  /** route `host` to this */
  nodeServices: Record<string, (request: Request) => Promise<Response>>;
  /** evaluates PHR scripts (default all 21) on the recording so far */
  evaluate(scripts?: string[]): Promise<ScriptReport[]>;
  clear(): void;
}

export declare function createNictizSim(options?: {
  /** default fhir.nictiz-sim.localhost */
  host?: string;
  /** default /48/fhir */
  path?: string;
  /** default: a fresh random token per patient the double holds */
  tokenFor?: Record<string, string>;
  /** YYYY-MM-DD the fixtures' dates and the scripts' count from; default the local date */
  today?: string;
  standards?: readonly string[];
}): Promise<NictizSim>;
