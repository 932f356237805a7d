// Types for test/testscript/index.mjs: the TestScript engine for Nictiz's MedMij qualification scripts.

// ---- Scripts -------------------------------------------------------------------------------------------------

/** A TestScript as the engine understands it. `unsupported` lists every element it does not implement, by path. */
export interface TestScript {
  path: string;
  dir: string;
  id: string;
  name: string;
  title: string | undefined;
  description: string | undefined;
  /** properties.json beside the script (Nictiz: goal, informationStandard, role, fhirPackage, ...) */
  properties: Record<string, unknown> | undefined;
  /** Touchstone rules declared with the testscript-rule extension, by ruleId */
  rules: Record<string, RuleDeclaration>;
  /** TestScript.profile, by id: the profile URL */
  profiles: Record<string, string>;
  variables: Variable[];
  fixtures: Record<string, Fixture>;
  origins: Endpoint[];
  destinations: Endpoint[];
  setup: Action[];
  tests: Test[];
  teardown: Action[];
  unsupported: string[];
}

export interface RuleDeclaration {
  /** the Groovy file */
  path: string;
  /** the JavaScript port, when the file is the one ported */
  port?: (input: RuleInput) => RuleVerdict;
  /** why there is no port */
  problem?: string;
}

export interface Endpoint {
  index: number | undefined;
  profile: string | undefined;
  /** Interoplab's SUT flag: this side is the system under test */
  systemUnderTest: boolean | undefined;
}

export interface Variable {
  name: string;
  defaultValue?: string;
  expression?: string;
  sourceId?: string;
}

export interface Fixture {
  id: string;
  path: string;
  format: "xml" | "json";
  /** the file's text, placeholders not yet substituted */
  text: string;
}

export interface Test {
  id: string;
  name: string;
  description: string | undefined;
  actions: Action[];
}

export type Action =
  | { kind: "operation"; where: string; operation: Operation; unsupported: string[] }
  | { kind: "assert"; where: string; assert: Assert; unsupported: string[] };

export interface Operation {
  /** restful-interaction code, or Interoplab's purge/get */
  type: string;
  resource?: string;
  label?: string;
  description?: string;
  accept?: string;
  contentType?: string;
  destination?: number;
  origin?: number;
  encodeRequestUrl: boolean;
  params?: string;
  url?: string;
  requestHeaders: { field: string; value: string }[];
  sourceId?: string;
  responseId?: string;
}

export interface Assert {
  label?: string;
  description?: string;
  direction?: "request" | "response";
  compareToSourceId?: string;
  compareToSourceExpression?: string;
  contentType?: string;
  expression?: string;
  headerField?: string;
  minimumId?: string;
  navigationLinks?: boolean;
  operator?: string;
  requestMethod?: string;
  requestURL?: string;
  resource?: string;
  response?: string;
  responseCode?: string;
  sourceId?: string;
  validateProfileId?: string;
  value?: string;
  warningOnly: boolean;
  stopTestOnFail: boolean;
  /** the testscript-assert-rule extension's ruleId */
  ruleId?: string;
}

/** Reads a TestScript (XML) with its fixtures (relative to the script, as Touchstone resolves them) and rules. */
export declare function loadTestScript(path: string): TestScript;

/** The TestScripts under `<standardDir>/MedMij/Cert/<role>/`, sorted; `_LoadResources` is a role too. */
export declare function listCertScripts(standardDir: string, role: string): string[];
/** The XML files in `dir` whose root element is a TestScript, sorted by name. */
export declare function listTestScripts(dir: string): string[];

/** The operation types the engine performs, with their HTTP method. */
export declare const OPERATION_METHODS: Readonly<Record<string, string>>;

// ---- Messages and asserts (shared by client and a later server mode) ---------------------------------------

/** One side of an HTTP exchange, or a fixture. Header names are lower case. */
export interface Message {
  method?: string;
  url?: string;
  status?: number;
  headers: Record<string, string>;
  /** the body as text (absent for binary content such as a PDF) */
  body?: string;
  bodySize?: number;
  /** the body as FHIR JSON (an XML body is read into JSON) */
  resource?: Record<string, unknown>;
  /** why there is no resource */
  resourceError?: string;
}

export interface Exchange {
  request: Message;
  response?: Message;
}

export interface AssertContext {
  /** the exchange of the last operation (in a server mode: the request being answered) */
  exchange: Exchange | undefined;
  /** a fixture, or one side of the exchange of an earlier operation's responseId */
  source(id: string, direction: "request" | "response"): Message | undefined;
  profiles: Record<string, string>;
  rules: Record<string, RuleDeclaration>;
  /** substitutes `${...}` variables and placeholders */
  substitute(text: string): string;
  /** a variable's value for FHIRPath `%name`, undefined when there is none */
  variable(name: string): string | undefined;
}

export interface AssertVerdict {
  outcome: "passed" | "failed" | "warning" | "notEvaluated";
  /** why it failed, warned or was not evaluated */
  message?: string;
  /** the actual value, short */
  actual?: string;
  /** parts of the assert that were not evaluated, with the reason (validateProfileId: the claimed profiles) */
  notEvaluated?: string[];
}

export declare const ASSERT_KINDS: readonly (
  | "ruleId" | "validateProfileId" | "minimumId" | "compareToSourceId" | "expression" | "headerField" | "requestURL"
  | "requestMethod" | "resource" | "responseCode" | "response" | "contentType" | "navigationLinks"
)[];

export declare function evaluateAssert(assert: Assert, ctx: AssertContext): AssertVerdict;

/** Compares a result with expected values under a TestScript operator (see asserts.mjs). */
export declare function compare(
  operator: string,
  actual: string[],
  expected: string[],
  subject: string,
  wanted?: string,
): { passed: boolean | null; message?: string; actual?: string };

// ---- Running --------------------------------------------------------------------------------------------------

export interface QualificationToken {
  accessToken: string;
  resourceId: string;
  familyName?: string;
  bsn?: string;
  qualificationScript?: string;
}

export interface RunOptions {
  /** the FHIR endpoint, e.g. https://host/48/fhir */
  baseUrl: string;
  /** the transport; default globalThis.fetch. Called with redirect: "manual". */
  fetch?: (url: string, init: { method: string; headers: Record<string, string>; body?: string; redirect: "manual" }) => Promise<Response>;
  /** values that win over the script's variables, by name */
  variables?: Record<string, string>;
  /** per qualification patient (resource id), the Authorization value to send instead of Nictiz's token */
  tokenFor?: Record<string, string>;
  /** Nictiz's qualification patients, for tokenFor and for redaction; default the vendored QualificationTokens.json */
  qualificationTokens?: QualificationToken[];
  /** called with each request before it is sent; may change its headers */
  onRequest?: (request: Message) => void | Promise<void>;
  /** the date placeholders count from, YYYY-MM-DD; default the local date */
  today?: string;
  /** more strings to keep out of the report */
  secrets?: string[];
}

export interface Totals {
  asserts: { passed: number; failed: number; warning: number; notEvaluated: number };
  operations: { passed: number; failed: number; notEvaluated: number };
}

export type ActionReport =
  | {
      kind: "operation";
      where: string;
      description: string;
      /** passed: a response came back (whatever its status); failed: no request could be made or no response came */
      outcome: "passed" | "failed" | "notEvaluated";
      method?: string;
      /** as sent, tokens and BSNs redacted */
      url?: string;
      status?: number;
      ms?: number;
      message?: string;
    }
  | {
      kind: "assert";
      where: string;
      description: string;
      outcome: AssertVerdict["outcome"];
      message?: string;
      actual?: string;
      notEvaluated?: string[];
    };

export interface SectionReport {
  id: string;
  name: string;
  description: string | undefined;
  actions: ActionReport[];
  totals: Totals;
}

export interface ScriptReport {
  script: { id: string; name: string; title: string | undefined; path: string; role: string | undefined };
  /** absent or "client": the engine sent the requests; "server": the system under test did (evaluatePhrScript) */
  mode?: "client" | "server";
  /** server mode: how many exchanges the recording held */
  recorded?: number;
  /** server mode: recorded requests no operation matched (see phr.mjs for which are listed); they fail nothing */
  unexpected?: UnexpectedRequest[];
  unsupported: string[];
  setup: SectionReport | undefined;
  tests: SectionReport[];
  teardown: SectionReport | undefined;
  totals: Totals;
  ms: number;
}

export interface UnexpectedRequest {
  method: string;
  /** tokens and BSNs redacted */
  url: string;
  status?: number;
  why: "no Authorization" | "no operation of this script expects it" | "a token nobody was given";
}

export declare function runTestScript(script: TestScript | string, options: RunOptions): Promise<ScriptReport>;
/** Load scripts (`_LoadResources`) are TestScripts: the same function. */
export declare const runLoadScript: typeof runTestScript;
/** Did an assert fail, or an operation? (Warnings and not-evaluated asserts do not count.) */
export declare function hasFailures(report: ScriptReport | ScriptReport[]): boolean;
export declare function formatReport(report: ScriptReport | ScriptReport[]): string;
/** One line: the totals of several scripts. */
export declare function formatSummary(reports: ScriptReport[]): string;
export declare function loadQualificationTokens(): QualificationToken[];
/** Percent-encodes a request URL as encodeRequestUrl=true asks; `base` is left as given. */
export declare function encodeRequestUrl(url: string, base: string): string;

// ---- Parts ----------------------------------------------------------------------------------------------------

/** Reads FHIR STU3 XML into FHIR JSON; throws, naming the path, on anything that is not FHIR XML. */
export declare function parseFhirXml(text: string): Record<string, unknown>;

export interface ProfileVerdict {
  outcome: "passed" | "failed" | "notEvaluated";
  errors: string[];
  notEvaluated: string[];
}

/** Validates against a base STU3 profile (HL7's STU3 JSON schema), the resource and every resource in it. */
export declare function validateProfile(resource: unknown, profileUrl: string): ProfileVerdict;

export interface RuleInput {
  requestUrl: string;
  fhirPathValue(expression: string): string | null;
}
export type RuleVerdict = { passed: true } | { passed: false; message: string };

/** The port of Nictiz's assert_response_queryParamsInSelfLink.groovy. */
export declare function queryParamsInSelfLink(input: RuleInput): RuleVerdict;
/** java.net.URLDecoder.decode with UTF-8. */
export declare function javaUrlDecode(s: string): string;

export interface VariableScope {
  resolve(name: string): string;
  substitute(text: string, escape?: (value: string) => string): string;
}

export declare function createVariableScope(options: {
  definitions?: Variable[];
  overrides?: Record<string, string>;
  today?: string;
  evaluate?: (variable: Variable) => string;
  uuid?: () => string;
}): VariableScope;

export declare function createRedactor(secrets?: Iterable<string>): (text: string) => string;
/** The BSN eleven-test. */
export declare function isBsn(digits: string): boolean;

export declare function writeFhirXml(resource: Record<string, unknown>): string;

// ---- Server mode: the PHR-side scripts (phr.mjs, server.mjs) ------------------------------------------------

/** A recorded exchange: what the system under test sent and what it received. */
export interface RecordedExchange extends Exchange {
  response: Message;
  /** how long the handler took */
  ms?: number;
}

export interface ExchangeRecorder {
  /** the wrapped handler: route the double's hostname to this */
  handle(request: Request): Promise<Response>;
  /** every exchange so far, in order */
  readonly exchanges: RecordedExchange[];
  clear(): void;
}

/** Wraps a handler; records every request and its response (bodies read from clones). */
export declare function recordExchanges(handler: (request: Request) => Promise<Response>): ExchangeRecorder;
export declare function requestMessage(request: Request): Promise<Message>;
export declare function responseMessage(response: Response): Promise<Message>;

/**
 * Options of server mode: the client mode's, less the transport. `baseUrl` is the double's (requests are matched
 * below it); `tokenFor` maps each qualification patient to the Authorization value the PGO was given for them,
 * so that an assert expecting Nictiz's `Bearer 93cde269-...` expects that value.
 */
export type PhrOptions = Omit<RunOptions, "fetch" | "onRequest">;

/** Evaluates a PHR-side script against recorded exchanges (matching: see phr.mjs and README.md). */
export declare function evaluatePhrScript(script: TestScript | string, exchanges: readonly RecordedExchange[], options: PhrOptions): Promise<ScriptReport>;

/** Records what `drive` makes the PGO do against `server`, then evaluates the script on that recording. */
export declare function runPhrScript(
  script: TestScript | string,
  options: Omit<PhrOptions, "baseUrl"> & {
    baseUrl?: string;
    server: ((request: Request) => Promise<Response>) & { baseUrl?: string };
    /** makes the system under test send its requests to `handler` (the recording wrapper around `server`) */
    drive: (handler: (request: Request) => Promise<Response>, script: TestScript) => Promise<void>;
  },
): Promise<ScriptReport>;

export interface PhrServerOptions {
  /** where the double is reached, e.g. https://fhir.nictiz-sim.localhost/48/fhir */
  baseUrl: string;
  /** the patient (resource id) of a Bearer token (the credentials after "Bearer "); undefined: 401 */
  patientForToken: (token: string) => string | undefined;
  /** the standards whose `_LoadResources` scripts provide the data; default PHR_STANDARDS */
  standards?: readonly string[];
  /** YYYY-MM-DD the fixtures' `${DATE, T, D, n}` count from; default the local date (use the run's `today`) */
  today?: string;
  /** the data, instead of loading the standards */
  resources?: Record<string, unknown>[];
}

/** The FHIR server double of the PHR-side scripts: a plain handler, plus what it holds. */
export interface PhrServer {
  (request: Request): Promise<Response>;
  /** the base URL, no trailing slash */
  readonly baseUrl: string;
  readonly resources: readonly Record<string, unknown>[];
  /** the patients (resource ids) that own resources here */
  readonly patients: readonly string[];
  /** what a patient may see: their own resources and the shared ones reachable from them */
  visibleTo(patient: string): Record<string, unknown>[];
  /** the patients a resource (`Type/id`) belongs to; none: shared */
  ownersOf(key: string): string[];
}

/** Loads the data (Nictiz's `_LoadResources` scripts, run against an in-memory sink) and returns the double. */
export declare function createPhrServer(options: PhrServerOptions): Promise<PhrServer>;
/** The resources the `_LoadResources` scripts of `standards` PUT, dates filled in from `today`. */
export declare function loadPhrData(standards?: readonly string[], today?: string): Promise<Record<string, unknown>[]>;
/** patientForToken from a tokenFor mapping (patient -> "Bearer ..."). */
export declare function patientForTokenFrom(tokenFor: Record<string, string>): (token: string) => string | undefined;
/** The PHR-side scripts of the standards (21 for the default four). */
export declare function listPhrScripts(standards?: readonly string[]): string[];
export declare const PHR_STANDARDS: readonly string[];
export declare const PHR_ROLES: Readonly<Record<string, readonly string[]>>;
