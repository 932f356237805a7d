// A TestScript engine for Nictiz's MedMij qualification scripts (FHIR STU3 TestScript, as Touchstone and
// Conformancelab run them). Test tooling, independent of the product: it imports nothing from workers/ or
// durable-objects/. Types: index.d.mts. Semantics: README.md beside this file.
export { loadTestScript, listCertScripts, listTestScripts, OPERATION_METHODS } from "./load.mjs";
export { runTestScript, runLoadScript, hasFailures, loadQualificationTokens, encodeRequestUrl } from "./engine.mjs";
export { formatReport, formatSummary } from "./report.mjs";
export { evaluatePhrScript, runPhrScript, recordExchanges, requestMessage, responseMessage } from "./phr.mjs";
export { createPhrServer, loadPhrData, patientForTokenFrom, listPhrScripts, PHR_STANDARDS, PHR_ROLES } from "./server.mjs";
export { evaluateAssert, compare, ASSERT_KINDS } from "./asserts.mjs";
export { parseFhirXml, writeFhirXml } from "./fhir-xml.mjs";
export { validateProfile } from "./validate.mjs";
export { queryParamsInSelfLink, javaUrlDecode } from "./rules.mjs";
export { createVariableScope } from "./variables.mjs";
export { createRedactor, isBsn } from "./redact.mjs";
