import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";

/** Files of a throwaway PKI for one control plane: a CA, a serving cert, an admin client cert. */
export interface TestPki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  saSigningKey: string;
  saPublicKey: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === "ENOENT") {
      throw new Error(
        "openssl is needed to generate the test control plane's certificates (apt-get install openssl)",
        {
          cause: err,
        },
      );
    }
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString() ?? String(err)}`, { cause: err });
  }
}

/** Creates certificates valid for 127.0.0.1 / localhost only, in `dir`. */
export function createTestPki(dir: string): TestPki {
  const f = (name: string): string => path.join(dir, name);
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"], dir);
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-sha256",
      "-days",
      "7",
      "-subj",
      "/CN=clouddigit-test-ca",
      "-out",
      "ca.crt",
    ],
    dir,
  );
  const issue = (name: string, subject: string, ext: string): void => {
    writeFileSync(f(`${name}.ext`), ext);
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir);
    openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir);
    openssl(
      [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "7",
        "-sha256",
        "-extfile",
        `${name}.ext`,
        "-out",
        `${name}.crt`,
      ],
      dir,
    );
  };
  issue(
    "serving",
    "/CN=kube-apiserver",
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
  );
  issue(
    "admin",
    "/O=system:masters/CN=clouddigit-test-admin",
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
  );
  const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(f("sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }));
  writeFileSync(f("sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
  return {
    caCert: f("ca.crt"),
    caKey: f("ca.key"),
    servingCert: f("serving.crt"),
    servingKey: f("serving.key"),
    adminCert: f("admin.crt"),
    adminKey: f("admin.key"),
    saSigningKey: f("sa.key"),
    saPublicKey: f("sa.pub"),
  };
}
