// Test PKI made by openssl at test time (never committed): CAs, server/client certificates with a CN
// and DNS SANs, self-signed signing certificates, expired and not-yet-valid ones. Every key is RSA
// 2048 in PKCS#8, every certificate PEM. Used by the SAML and OIDC test peers and the nginx mTLS run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function openssl(args, cwd) {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

/** A scratch directory with openssl helpers; call dispose() when done. */
export function createPki(prefix = "medmij-pki-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let serial = 1;
  const file = (name) => join(dir, name);
  const read = (name) => readFileSync(file(name), "utf8");

  function key(name) {
    openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", `${name}.key`], dir);
    return read(`${name}.key`);
  }

  /** A self-signed certificate (a CA, or a SAML signing/encryption certificate). */
  function selfSigned(name, { cn = name, days = 365, ca = false } = {}) {
    const keyPem = key(name);
    const ext = ca ? ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"] : [];
    openssl(["req", "-x509", "-new", "-key", `${name}.key`, "-out", `${name}.crt`, "-days", String(days), "-subj", `/C=NL/O=medmij-edge test/CN=${cn}`, ...ext], dir);
    return { name, keyPem, certPem: read(`${name}.crt`), keyFile: file(`${name}.key`), certFile: file(`${name}.crt`) };
  }

  /**
   * A certificate for `cn` signed by `ca`. `notBefore`/`notAfter` as openssl dates (YYYYMMDDHHMMSSZ) make
   * expired or not-yet-valid certificates; `sans` adds DNS names; `usage` is serverAuth and/or clientAuth.
   */
  function issue(name, ca, { cn = name, sans = [cn], notBefore, notAfter, days = 30, usage = "serverAuth,clientAuth" } = {}) {
    const keyPem = key(name);
    openssl(["req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", `/C=NL/O=medmij-edge test/CN=${cn}`], dir);
    const extFile = `${name}.ext`;
    writeFileSync(file(extFile), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${usage}\n${sans.length ? `subjectAltName=${sans.map((s) => `DNS:${s}`).join(",")}\n` : ""}`);
    const dates = notBefore || notAfter ? ["-not_before", notBefore ?? "20200101000000Z", "-not_after", notAfter ?? "20991231000000Z"] : ["-days", String(days)];
    // `openssl x509 -req` has no -not_before in 3.0; `openssl ca` does, with a throwaway database.
    if (notBefore || notAfter) {
      writeFileSync(file(`${ca.name}.index`), "");
      writeFileSync(file(`${ca.name}.cnf`), `[ca]\ndefault_ca=d\n[d]\ndatabase=${ca.name}.index\nnew_certs_dir=.\nserial=${ca.name}.serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\ncopy_extensions=none\n[p]\ncommonName=supplied\n`);
      writeFileSync(file(`${ca.name}.serial`), `${String(serial++).padStart(4, "0")}\n`);
      openssl(["ca", "-batch", "-config", `${ca.name}.cnf`, "-cert", `${ca.name}.crt`, "-keyfile", `${ca.name}.key`, "-in", `${name}.csr`, "-out", `${name}.crt`, "-extfile", extFile, "-notext", ...dates.map((d) => (d === "-not_before" ? "-startdate" : d === "-not_after" ? "-enddate" : d))], dir);
    } else {
      openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca.name}.crt`, "-CAkey", `${ca.name}.key`, "-set_serial", String(1000 + serial++), "-out", `${name}.crt`, "-extfile", extFile, ...dates], dir);
    }
    return { name, keyPem, certPem: read(`${name}.crt`), keyFile: file(`${name}.key`), certFile: file(`${name}.crt`) };
  }

  return { dir, key, selfSigned, issue, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
