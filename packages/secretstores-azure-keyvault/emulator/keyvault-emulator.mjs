#!/usr/bin/env node
/**
 * A Key Vault-compatible server for tests, used because no Key Vault emulator can be installed from the
 * registries this project may use (Lowkey Vault ships its app jar to GitHub Packages and Docker Hub only).
 * It speaks the real wire protocol over HTTPS, so the real @azure/keyvault-secrets and @azure/identity run
 * unmodified against it:
 *
 * - Entra ID (v2.0) on the same origin: OpenID discovery and the token endpoint for client credentials —
 *   a client secret, or a certificate assertion (RS256/PS256 JWT) whose signature is verified against the
 *   registered certificate. Tokens are opaque and live in memory.
 * - Key Vault secrets (any api-version): the bearer challenge, set, get (latest or by version), update
 *   properties (enable/disable), list (paged with maxresults/nextLink) and list versions. Disabled secrets
 *   answer 403 like Key Vault. Data lives in memory: a restart empties the vault.
 *
 * Options (environment): KEYVAULT_EMULATOR_PORT (8443), KEYVAULT_EMULATOR_HOST (127.0.0.1),
 * KEYVAULT_EMULATOR_CERT / _KEY (PEM files, required), KEYVAULT_EMULATOR_TENANT_ID, _CLIENT_ID,
 * _CLIENT_SECRET, and optionally _CLIENT_CERT (PEM certificate accepted for certificate assertions).
 * Prints one line `keyvault emulator listening on https://HOST:PORT` once ready.
 */
import { createPublicKey, randomBytes, randomUUID, verify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const env = process.env;
const config = {
  host: env.KEYVAULT_EMULATOR_HOST || '127.0.0.1',
  port: Number(env.KEYVAULT_EMULATOR_PORT || 8443),
  tenantId: env.KEYVAULT_EMULATOR_TENANT_ID || 'daprkit-tenant',
  clientId: env.KEYVAULT_EMULATOR_CLIENT_ID || 'daprkit-client',
  clientSecret: env.KEYVAULT_EMULATOR_CLIENT_SECRET || 'daprkit-client-secret',
  clientCert: env.KEYVAULT_EMULATOR_CLIENT_CERT
    ? new X509Certificate(readFileSync(env.KEYVAULT_EMULATOR_CLIENT_CERT))
    : undefined,
};
const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
const PAGE_SIZE = 25;
const TOKEN_LIFETIME_S = 3600;

/** name → versions, oldest first: { version, value, contentType, tags, enabled, created, updated } */
const secrets = new Map();
const tokens = new Map(); // access token → expiry (ms)

const nowSeconds = () => Math.floor(Date.now() / 1000);

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const vaultError = (res, status, code, message, inner) =>
  send(res, status, { error: { code, message, ...(inner && { innererror: { code: inner } }) } });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---- Entra ID ----

function openIdConfiguration(origin) {
  const base = `${origin}/${config.tenantId}`;
  return {
    issuer: `${base}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    token_endpoint: `${base}/oauth2/v2.0/token`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    response_types_supported: ['code', 'id_token', 'token'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
    tenant_region_scope: null,
  };
}

const base64url = (text) => Buffer.from(text, 'base64url');

/** Verifies a client assertion JWT against the registered certificate: signature, audience-free claims, expiry. */
function assertionValid(assertion) {
  if (!config.clientCert) return false;
  const parts = assertion.split('.');
  if (parts.length !== 3) return false;
  const header = JSON.parse(base64url(parts[0]).toString());
  const claims = JSON.parse(base64url(parts[1]).toString());
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const key = createPublicKey(config.clientCert.publicKey.export({ type: 'spki', format: 'pem' }));
  const signature = base64url(parts[2]);
  let ok = false;
  if (header.alg === 'RS256') ok = verify('sha256', signed, key, signature);
  else if (header.alg === 'PS256') ok = verify('sha256', signed, { key, padding: 6, saltLength: 32 }, signature);
  return ok && claims.iss === config.clientId && claims.sub === config.clientId && claims.exp > nowSeconds();
}

async function token(req, res, tenant) {
  const form = new URLSearchParams(await readBody(req));
  const fail = (status, error, description) => send(res, status, { error, error_description: description });
  if (tenant !== config.tenantId) return fail(400, 'invalid_request', `AADSTS90002: Tenant '${tenant}' not found.`);
  if (form.get('grant_type') !== 'client_credentials')
    return fail(400, 'unsupported_grant_type', 'only client_credentials');
  if (form.get('client_id') !== config.clientId) {
    return fail(
      400,
      'unauthorized_client',
      `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
    );
  }
  const assertion = form.get('client_assertion');
  const authenticated = assertion ? assertionValid(assertion) : form.get('client_secret') === config.clientSecret;
  if (!authenticated) {
    return fail(
      401,
      'invalid_client',
      assertion
        ? 'AADSTS700027: Client assertion failed signature validation.'
        : 'AADSTS7000215: Invalid client secret provided.',
    );
  }
  const accessToken = randomBytes(24).toString('base64url');
  tokens.set(accessToken, Date.now() + TOKEN_LIFETIME_S * 1000);
  send(res, 200, {
    token_type: 'Bearer',
    expires_in: TOKEN_LIFETIME_S,
    ext_expires_in: TOKEN_LIFETIME_S,
    access_token: accessToken,
  });
}

// ---- Key Vault ----

function authorized(req, res, origin) {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  const expiry = match && tokens.get(match[1]);
  if (expiry && expiry > Date.now()) return true;
  res.writeHead(401, {
    'www-authenticate': `Bearer authorization="${origin}/${config.tenantId}", resource="${KEY_VAULT_RESOURCE}"`,
    'content-length': 0,
  });
  res.end();
  return false;
}

const attributesOf = (v) => ({
  enabled: v.enabled,
  created: v.created,
  updated: v.updated,
  recoveryLevel: 'Recoverable+Purgeable',
  recoverableDays: 90,
});

const bundleOf = (origin, name, v, withValue = true) => ({
  ...(withValue && { value: v.value }),
  id: `${origin}/secrets/${name}/${v.version}`,
  ...(v.contentType !== undefined && { contentType: v.contentType }),
  attributes: attributesOf(v),
  tags: v.tags,
});

function findVersion(name, version) {
  const versions = secrets.get(name);
  if (!versions) return undefined;
  return version ? versions.find((v) => v.version === version) : versions.at(-1);
}

function notFound(res, name) {
  vaultError(res, 404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
}

function listPage(res, origin, path, items, url) {
  const requested = Number(url.searchParams.get('maxresults') || PAGE_SIZE);
  const size = Math.max(1, Math.min(requested, PAGE_SIZE));
  const skip = Number(url.searchParams.get('$skiptoken') || 0);
  const page = items.slice(skip, skip + size);
  const next = skip + size < items.length;
  const nextLink = next
    ? `${origin}${path}?api-version=${url.searchParams.get('api-version')}&$skiptoken=${skip + size}&maxresults=${size}`
    : null;
  send(res, 200, { value: page, nextLink });
}

async function vault(req, res, url, origin) {
  if (!authorized(req, res, origin)) return;
  const [, collection, name, version] = url.pathname.split('/').map(decodeURIComponent);
  if (collection !== 'secrets') return vaultError(res, 404, 'NotFound', `no route ${req.method} ${url.pathname}`);

  if (!name) {
    if (req.method !== 'GET') return vaultError(res, 405, 'MethodNotAllowed', req.method);
    const items = [...secrets].map(([n, versions]) => {
      const { value: _value, ...item } = bundleOf(origin, n, versions.at(-1));
      return { ...item, id: `${origin}/secrets/${n}` };
    });
    return listPage(res, origin, '/secrets', items, url);
  }
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
    return vaultError(res, 400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
  }

  if (req.method === 'PUT' && version === undefined) {
    const body = JSON.parse((await readBody(req)) || '{}');
    if (typeof body.value !== 'string') return vaultError(res, 400, 'BadParameter', 'Property value is required.');
    const now = nowSeconds();
    const entry = {
      version: randomUUID().replaceAll('-', ''),
      value: body.value,
      contentType: body.contentType,
      tags: body.tags,
      enabled: body.attributes?.enabled ?? true,
      created: now,
      updated: now,
    };
    secrets.set(name, [...(secrets.get(name) ?? []), entry]);
    return send(res, 200, bundleOf(origin, name, entry));
  }
  if (req.method === 'GET' && version === 'versions') {
    const versions = secrets.get(name);
    if (!versions) return notFound(res, name);
    const items = versions.map((v) => {
      const { value: _value, ...item } = bundleOf(origin, name, v);
      return item;
    });
    return listPage(res, origin, `/secrets/${name}/versions`, items, url);
  }
  const entry = findVersion(name, version);
  if (!entry) return notFound(res, version ? `${name}/${version}` : name);
  if (req.method === 'GET') {
    if (!entry.enabled)
      return vaultError(res, 403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
    return send(res, 200, bundleOf(origin, name, entry));
  }
  if (req.method === 'PATCH') {
    const body = JSON.parse((await readBody(req)) || '{}');
    if (body.attributes?.enabled !== undefined) entry.enabled = body.attributes.enabled;
    if (body.contentType !== undefined) entry.contentType = body.contentType;
    if (body.tags !== undefined) entry.tags = body.tags;
    entry.updated = nowSeconds();
    return send(res, 200, bundleOf(origin, name, entry, false));
  }
  vaultError(res, 405, 'MethodNotAllowed', req.method);
}

const server = createServer(
  { cert: readFileSync(env.KEYVAULT_EMULATOR_CERT), key: readFileSync(env.KEYVAULT_EMULATOR_KEY) },
  async (req, res) => {
    const origin = `https://${req.headers.host}`;
    const url = new URL(req.url, origin);
    try {
      const aad = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname);
      if (url.pathname === '/healthz') return send(res, 200, { status: 'ok', secrets: secrets.size });
      if (aad?.[2].startsWith('v2.0')) return send(res, 200, openIdConfiguration(origin));
      if (aad && req.method === 'POST') return await token(req, res, aad[1]);
      return await vault(req, res, url, origin);
    } catch (error) {
      vaultError(res, 500, 'InternalError', error instanceof Error ? error.message : String(error));
    }
  },
);
server.listen(config.port, config.host, () => {
  console.log(`keyvault emulator listening on https://${config.host}:${server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
