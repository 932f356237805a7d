/**
 * The test PKI and nginx of the Deno suite's mTLS tests (nginx-mtls.test.ts, dvp-mtls.test.ts): certificates, keys and
 * CRLs made by openssl at test time, nginx (Debian package) configured by scripts/deno/nginx.conf.sh.
 */
export const UMC = "umcharderwijk.zorgbridge.localhost";
export const CLIENT = "dvp.gezondheidskluis.localhost";
export const NGINX = Deno.env.get("NGINX_PATH") ?? "/usr/sbin/nginx";
export const HAVE_NGINX = await Deno.stat(NGINX).then(() => true, () => false);

export async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

const CA_CONF = `[ca]
default_ca = test
[test]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
default_crl_days = 2
crlnumber = crlnumber
[any]
commonName = supplied
`;

/** A test PKI: two CAs, the server's certificate, and the client certificates the cases need. */
export async function makePki(dir: string): Promise<void> {
  const sh = (line: string) => run("bash", ["-c", line], dir);
  await Deno.writeTextFile(`${dir}/ca.cnf`, CA_CONF);
  await sh("touch index.txt && echo 1000 > serial && echo 01 > crlnumber");
  for (const ca of ["ca", "other-ca"]) {
    await sh(`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ${ca}.key -out ${ca}.crt -days 2 -subj "/CN=Test ${ca}"`);
  }
  const leaf = async (name: string, cn: string, ca: string, extra = "") => {
    await sh(`openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ${name}.key -out ${name}.csr -subj "/C=NL/O=Test/CN=${cn}" ${extra}`);
  };
  await leaf("server", UMC, "ca", `-addext "subjectAltName=DNS:${UMC},IP:127.0.0.1"`);
  await sh(`openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -copy_extensions copy -out server.crt`);
  await leaf("good", CLIENT, "ca");
  // X.509 v3 with the key usages of a PKIoverheid server certificate: rustls (Deno's outbound TLS) takes only v3
  // certificates, and `openssl x509 -req` without extensions makes v1 ones.
  await Deno.writeTextFile(`${dir}/node.ext`, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n");
  await sh(`openssl x509 -req -in good.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile node.ext -out good.crt`);
  await leaf("unlisted", "dvp.not-whitelisted.localhost", "ca");
  await sh(`openssl x509 -req -in unlisted.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out unlisted.crt`);
  await leaf("expired", CLIENT, "ca");
  await sh(`openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt -startdate 20200101000000Z -enddate 20200102000000Z 2>/dev/null`);
  await leaf("foreign", "dvp.elsewhere.localhost", "other-ca");
  await sh(`openssl x509 -req -in foreign.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial -days 2 -out foreign.crt`);
  await leaf("impostor", CLIENT, "other-ca");
  await sh(`openssl x509 -req -in impostor.csr -CA other-ca.crt -CAkey other-ca.key -CAcreateserial -days 2 -out impostor.crt`);
  // Issue 19 #6: a whitelisted certificate from the accepted CA that the CA then revokes, and the CA's CRL saying so.
  await leaf("revoked", CLIENT, "ca");
  await sh(`openssl x509 -req -in revoked.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out revoked.crt`);
  await sh(`openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -revoke revoked.crt 2>/dev/null`);
  await sh(`openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -gencrl -out ca.crl.pem 2>/dev/null`);
  await sh(`openssl crl -in ca.crl.pem -outform DER -out ca.crl`);
  // A CRL that other-ca signed: refresh-crl.sh must refuse it.
  await sh(`openssl ca -batch -config ca.cnf -cert other-ca.crt -keyfile other-ca.key -gencrl -out other.crl.pem 2>/dev/null`);
  // Issue 15 #7: the whitelisted name with white space around it, from the accepted CA (openssl keeps it in the CN).
  for (const [name, cn] of [["leading-space", ` ${CLIENT}`], ["trailing-space", `${CLIENT} `], ["trailing-tab", `${CLIENT}\t`]]) {
    await run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/C=NL/O=Test/CN=${cn}`], dir);
    await sh(`openssl x509 -req -in ${name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out ${name}.crt`);
  }
}

export async function freePort(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export async function waitFor(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}


/** nginx from scripts/deno/nginx.conf.sh, in `${dir}/${name}`, until stop(). */
export async function startNginx(dir: string, name: string, settings: Record<string, string>): Promise<{ stop(): Promise<void> }> {
  await Deno.mkdir(`${dir}/${name}`, { recursive: true });
  const conf = await run("bash", [new URL("../../scripts/deno/nginx.conf.sh", import.meta.url).pathname], dir, { PATH: Deno.env.get("PATH") ?? "", PREFIX: `${dir}/${name}`, ...settings });
  await Deno.writeTextFile(`${dir}/${name}/nginx.conf`, conf.replace(/^worker_processes auto;/m, "worker_processes 1;"));
  const nginx = new Deno.Command(NGINX, { args: ["-c", `${dir}/${name}/nginx.conf`, "-p", `${dir}/${name}`, "-g", "daemon off; master_process off;"], stdout: "null", stderr: "piped" }).spawn();
  await waitFor(Number(/:(\d+)$/.exec(settings.LISTEN ?? "")?.[1] ?? 443));
  return {
    async stop() {
      nginx.kill("SIGQUIT");
      await nginx.status;
    },
  };
}

/** An HTTP CONNECT proxy (the DVP's egress proxy in the tests): `UMC:443` goes to nginx, every other target gets a 502; records every target asked for. */
export function connectProxy(tlsPort: number): { port: number; targets: string[]; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const targets: string[] = [];
  const conns = new Set<Deno.Conn>();
  void (async () => {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await listener.accept();
      } catch {
        return;
      }
      conns.add(client);
      void (async () => {
        const buf = new Uint8Array(8192);
        let head = "";
        while (!head.includes("\r\n\r\n")) {
          const n = await client.read(buf).catch(() => null);
          if (n === null) return client.close();
          head += new TextDecoder().decode(buf.subarray(0, n));
        }
        const target = /^CONNECT (\S+) HTTP\/1\.1/.exec(head)?.[1] ?? "";
        targets.push(target);
        if (target !== `${UMC}:443`) {
          await client.write(new TextEncoder().encode("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n"));
          return client.close();
        }
        const server = await Deno.connect({ hostname: "127.0.0.1", port: tlsPort });
        conns.add(server);
        await client.write(new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
        await Promise.all([client.readable.pipeTo(server.writable).catch(() => {}), server.readable.pipeTo(client.writable).catch(() => {})]);
      })();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    targets,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed
        }
      }
    },
  };
}
