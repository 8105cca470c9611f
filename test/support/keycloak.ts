import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startProcess, waitUntil, type ManagedProcess } from "./process.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Keycloak needs Java 21+; the machines carry Temurin 25 beside Debian's Java 17. */
const JAVA_CANDIDATES = ["/usr/lib/jvm/temurin-25-jdk-amd64", "/usr/lib/jvm/temurin-21-jdk-amd64"];

export interface KeycloakClientSpec {
  clientId: string;
  /** The ServiceAccount whose tokens this client accepts as its assertion. */
  serviceAccount: { namespace: string; name: string };
}

export interface RealmSpec {
  name: string;
  /** The kube-apiserver's service-account issuer (`testCluster().issuer`). */
  kubernetesIssuer: string;
  clients: KeycloakClientSpec[];
  /** Added to every access token's `aud` (what the REST API, i.e. the sandbox, checks). */
  apiAudience: string;
  /** Access-token lifetime; short values exercise refresh. Default 300. */
  accessTokenLifespanSeconds?: number;
}

export interface Realm {
  name: string;
  /** `<keycloak>/realms/<name>`: the issuer of its tokens and the audience SA tokens must carry. */
  issuer: string;
  tokenEndpoint: string;
  jwksUrl: string;
}

export interface Keycloak {
  url: string;
  logFile: string;
  createRealm(spec: RealmSpec): Promise<Realm>;
  deleteRealm(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Finds the Keycloak distribution: $CLOUDDIGIT_KEYCLOAK_HOME, else scripts/testbin keycloak (fetched once, cached). */
export function resolveKeycloakHome(): string {
  const fromEnv = process.env.CLOUDDIGIT_KEYCLOAK_HOME;
  if (fromEnv) return fromEnv;
  const out = execFileSync(path.join(repoRoot, "scripts/testbin"), ["--print-env", "keycloak"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const home = /^CLOUDDIGIT_KEYCLOAK_HOME=(.*)$/m.exec(out)?.[1];
  if (!home) throw new Error("Keycloak not found; run scripts/testbin keycloak");
  return home;
}

function javaHome(): string {
  const fromEnv = process.env.CLOUDDIGIT_JAVA_HOME;
  if (fromEnv) return fromEnv;
  const found = JAVA_CANDIDATES.find((d) => existsSync(path.join(d, "bin/java")));
  if (!found)
    throw new Error("Keycloak needs Java 21 or newer; set CLOUDDIGIT_JAVA_HOME to a JDK 21+ folder");
  return found;
}

/**
 * Starts Keycloak in dev mode on 127.0.0.1 with an in-memory database, trusting `trustedCaPem`
 * (the test kube-apiserver's CA, so Keycloak can fetch the issuer's discovery and JWKS over TLS).
 * Startup takes 20-60 s: start it once per test file and create a realm per scenario.
 */
export async function startKeycloak(opts: { trustedCaPem: string }): Promise<Keycloak> {
  const home = resolveKeycloakHome();
  const dir = mkdtempSync(path.join(os.tmpdir(), "cd-keycloak-"));
  const caFile = path.join(dir, "trusted-ca.pem");
  writeFileSync(caFile, opts.trustedCaPem);
  const [port, managementPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const adminUser = "admin";
  const adminPassword = randomBytes(18).toString("base64url");
  const logFile = path.join(dir, "keycloak.log");
  // start-dev re-augments the distribution in place (lib/quarkus); two starts at once would
  // collide, so starts on one machine take turns until the server answers.
  const releaseLock = await acquireStartLock(home);
  const proc: ManagedProcess = startProcess(
    "keycloak",
    path.join(home, "bin/kc.sh"),
    [
      "start-dev",
      "--http-host=127.0.0.1",
      `--http-port=${port}`,
      "--http-management-host=127.0.0.1",
      `--http-management-port=${managementPort}`,
      "--hostname-strict=false",
      "--db=dev-mem",
      `--truststore-paths=${caFile}`,
      "--tls-hostname-verifier=DEFAULT",
      // Nothing the tests do needs these; fewer features start faster.
      "--features-disabled=admin-fine-grained-authz,organization,passkeys,recovery-codes,device-flow,ciba,par,web-authn,kerberos",
      "--log-console-color=false",
      "--log-level=warn,org.keycloak.events:debug,org.keycloak.authentication:info",
    ],
    {
      logFile,
      env: {
        ...process.env,
        JAVA_HOME: javaHome(),
        JAVA_OPTS_KC_HEAP: "-Xms128m -Xmx768m",
        KC_BOOTSTRAP_ADMIN_USERNAME: adminUser,
        KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
      },
    },
  );
  const stopAll = async (): Promise<void> => {
    await proc.stop(10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      "Keycloak master realm",
      async () => (await fetch(`${url}/realms/master`)).status === 200,
      {
        timeoutMs: 180_000,
        intervalMs: 500,
        whileAlive: proc,
      },
    );
  } catch (err) {
    await stopAll();
    throw err;
  } finally {
    releaseLock();
  }

  const adminToken = async (): Promise<string> => {
    const res = await fetch(`${url}/realms/master/protocol/openid-connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "password",
        client_id: "admin-cli",
        username: adminUser,
        password: adminPassword,
      }),
    });
    if (!res.ok) throw new Error(`Keycloak admin login failed: HTTP ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };

  return {
    url,
    logFile,
    async createRealm(spec) {
      const res = await fetch(`${url}/admin/realms`, {
        method: "POST",
        headers: { authorization: `Bearer ${await adminToken()}`, "content-type": "application/json" },
        body: JSON.stringify(realmRepresentation(spec)),
      });
      if (res.status !== 201)
        throw new Error(`creating realm ${spec.name}: HTTP ${res.status} ${await res.text()}`);
      const issuer = `${url}/realms/${spec.name}`;
      return {
        name: spec.name,
        issuer,
        tokenEndpoint: `${issuer}/protocol/openid-connect/token`,
        jwksUrl: `${issuer}/protocol/openid-connect/certs`,
      };
    },
    async deleteRealm(name) {
      await fetch(`${url}/admin/realms/${name}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${await adminToken()}` },
      });
    },
    stop: stopAll,
  };
}

async function acquireStartLock(home: string): Promise<() => void> {
  const lock = path.join(home, ".clouddigit-start.lock");
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
      // A lock older than any startup belongs to a run that died.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 240_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new Error(`waited too long for another Keycloak start (lock ${lock})`, { cause: err });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export const KUBERNETES_IDP_ALIAS = "kubernetes";

/**
 * The realm: a Kubernetes identity provider whose issuer is the test apiserver, and one client per
 * ServiceAccount that authenticates with "federated-jwt" (the SA token as client assertion). Its
 * service-account access tokens carry `apiAudience` in `aud`.
 */
export function realmRepresentation(spec: RealmSpec): Record<string, unknown> {
  return {
    realm: spec.name,
    enabled: true,
    sslRequired: "none",
    accessTokenLifespan: spec.accessTokenLifespanSeconds ?? 300,
    identityProviders: [
      {
        alias: KUBERNETES_IDP_ALIAS,
        providerId: "kubernetes",
        enabled: true,
        config: { issuer: spec.kubernetesIssuer },
      },
    ],
    clients: spec.clients.map((c) => ({
      clientId: c.clientId,
      enabled: true,
      protocol: "openid-connect",
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
      clientAuthenticatorType: "federated-jwt",
      attributes: {
        "jwt.credential.issuer": KUBERNETES_IDP_ALIAS,
        "jwt.credential.sub": `system:serviceaccount:${c.serviceAccount.namespace}:${c.serviceAccount.name}`,
      },
      protocolMappers: [
        {
          name: "clouddigit-api-audience",
          protocol: "openid-connect",
          protocolMapper: "oidc-audience-mapper",
          config: {
            "included.custom.audience": spec.apiAudience,
            "access.token.claim": "true",
            "id.token.claim": "false",
            "introspection.token.claim": "true",
          },
        },
      ],
    })),
  };
}
