// Types for test/peers/saml-documents.mjs (used by the C14N oracle).
/** SAML messages as the test IdP produces them, each a complete XML document. */
export declare function samlTestDocuments(): Promise<string[]>;
