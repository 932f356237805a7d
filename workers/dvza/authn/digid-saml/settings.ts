/**
 * The DigiD SAML adapter's configuration (SPEC X-3), read from the deployment's vars and secrets and
 * checked once per isolate: a bad setting is a clear reason for the log and a 503, never a fallback.
 *
 *   SAML_SP_ENTITY_ID          this service provider's entity ID, as registered at DigiD
 *   SAML_SP_SIGNING_KEY        secret: PKCS#8 PEM RSA key signing AuthnRequests and ArtifactResolves
 *   SAML_SP_SIGNING_CERT       its X.509 certificate (PEM), published in /saml/metadata
 *   SAML_SP_ENCRYPTION_KEY     secret, optional: PKCS#8 PEM RSA key for EncryptedAssertion / EncryptedID
 *   SAML_SP_ENCRYPTION_CERT    its certificate (PEM), published in /saml/metadata
 *   DIGID_IDP_METADATA         DigiD's metadata XML (EntityDescriptor)
 *   DIGID_MTLS                 mtls_certificates binding: the client certificate for ArtifactResolve
 *   AUTHN_MIN_LEVEL            basis | midden | substantieel (default) | hoog
 *   DIGID_TIMEOUT_MS           bound on artifact resolution (default 10000)
 */
import { rsaSigningKey } from "../../../shared/xml/dsig.ts";
import { minimumLevel, type Level } from "../levels.ts";
import { readIdpMetadata, type IdpMetadata } from "./metadata.ts";
import type { ServiceBinding } from "../../../shared/ports.ts";

export interface SamlEnv {
  readonly SAML_SP_ENTITY_ID?: string;
  readonly SAML_SP_SIGNING_KEY?: string;
  readonly SAML_SP_SIGNING_CERT?: string;
  readonly SAML_SP_ENCRYPTION_KEY?: string;
  readonly SAML_SP_ENCRYPTION_CERT?: string;
  readonly DIGID_IDP_METADATA?: string;
  readonly DIGID_MTLS?: ServiceBinding;
  readonly AUTHN_MIN_LEVEL?: string;
  readonly DIGID_TIMEOUT_MS?: string;
}

export interface SamlSettings {
  readonly spEntityId: string;
  readonly signingKey: CryptoKey;
  readonly signingCertPem: string;
  readonly encryptionKeyPem: string | undefined;
  readonly encryptionCertPem: string | undefined;
  readonly idp: IdpMetadata;
  readonly minimumLevel: Level;
  readonly artifactFetch: (request: Request) => Promise<Response>;
  readonly timeoutMs: number;
}

export type Configured<T> = { ok: true; value: T } | { ok: false; reason: string };

const isPem = (s: string | undefined, label: string): s is string => s !== undefined && new RegExp(`-----BEGIN ${label}-----[\\s\\S]+-----END ${label}-----`).test(s);

let cached: { key: string; result: Promise<Configured<SamlSettings>> } | undefined;

/** The settings, validated; cached per isolate for as long as the configuration text is the same. */
export function samlSettings(env: SamlEnv): Promise<Configured<SamlSettings>> {
  const key = [env.SAML_SP_ENTITY_ID, env.SAML_SP_SIGNING_KEY, env.SAML_SP_SIGNING_CERT, env.SAML_SP_ENCRYPTION_KEY, env.SAML_SP_ENCRYPTION_CERT, env.DIGID_IDP_METADATA, env.AUTHN_MIN_LEVEL, env.DIGID_TIMEOUT_MS, env.DIGID_MTLS ? "mtls" : ""].join("\u0000");
  if (cached?.key !== key) cached = { key, result: load(env) };
  return cached.result;
}

async function load(env: SamlEnv): Promise<Configured<SamlSettings>> {
  const fail = (reason: string): Configured<SamlSettings> => ({ ok: false, reason: `digid-saml: ${reason}` });
  if (!env.SAML_SP_ENTITY_ID) return fail("SAML_SP_ENTITY_ID is not set");
  if (!isPem(env.SAML_SP_SIGNING_KEY, "PRIVATE KEY")) return fail("SAML_SP_SIGNING_KEY is not a PKCS#8 PEM private key");
  if (!isPem(env.SAML_SP_SIGNING_CERT, "CERTIFICATE")) return fail("SAML_SP_SIGNING_CERT is not a PEM certificate");
  const encryption = [env.SAML_SP_ENCRYPTION_KEY, env.SAML_SP_ENCRYPTION_CERT].filter((v) => v !== undefined && v !== "").length;
  if (encryption === 1) return fail("SAML_SP_ENCRYPTION_KEY and SAML_SP_ENCRYPTION_CERT go together");
  if (encryption === 2 && !isPem(env.SAML_SP_ENCRYPTION_KEY, "PRIVATE KEY")) return fail("SAML_SP_ENCRYPTION_KEY is not a PKCS#8 PEM private key");
  if (encryption === 2 && !isPem(env.SAML_SP_ENCRYPTION_CERT, "CERTIFICATE")) return fail("SAML_SP_ENCRYPTION_CERT is not a PEM certificate");
  if (!env.DIGID_IDP_METADATA) return fail("DIGID_IDP_METADATA is not set");
  if (!env.DIGID_MTLS) return fail("no DIGID_MTLS binding: ArtifactResolve needs the client certificate");
  const level = minimumLevel(env.AUTHN_MIN_LEVEL);
  if (!level) return fail(`AUTHN_MIN_LEVEL '${env.AUTHN_MIN_LEVEL}' is not basis, midden, substantieel or hoog`);
  const timeoutMs = Number(env.DIGID_TIMEOUT_MS ?? 10_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) return fail("DIGID_TIMEOUT_MS must be 100..60000");
  let idp: IdpMetadata;
  try {
    idp = readIdpMetadata(env.DIGID_IDP_METADATA);
  } catch (e) {
    return fail(`DIGID_IDP_METADATA: ${(e as Error).message}`);
  }
  let signingKey: CryptoKey;
  try {
    signingKey = await rsaSigningKey(env.SAML_SP_SIGNING_KEY);
  } catch (e) {
    return fail(`SAML_SP_SIGNING_KEY cannot be imported as an RSA key (${(e as Error).message})`);
  }
  const mtls = env.DIGID_MTLS;
  return {
    ok: true,
    value: {
      spEntityId: env.SAML_SP_ENTITY_ID,
      signingKey,
      signingCertPem: env.SAML_SP_SIGNING_CERT,
      encryptionKeyPem: encryption === 2 ? env.SAML_SP_ENCRYPTION_KEY : undefined,
      encryptionCertPem: encryption === 2 ? env.SAML_SP_ENCRYPTION_CERT : undefined,
      idp,
      minimumLevel: level,
      artifactFetch: (r) => mtls.fetch(r),
      timeoutMs,
    },
  };
}
