// Test helpers: throwaway CA + leaf certificate (openssl), IdP child process,
// HTTPS client trusting the test CA, a small cookie jar, JWT verification.

import { execFileSync, spawn } from 'node:child_process';
import {
  createHash, createPublicKey, randomBytes, verify as cryptoVerify,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const IDP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLIENT_ID = 'chartguard-desktop';

/** Makes a CA and a leaf certificate for 127.0.0.1/localhost in a temp dir. */
export function makeCerts() {
  const dir = mkdtempSync(join(tmpdir(), 'cg-idp-test-'));
  const ossl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ChartGuard IdP Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n'
    + 'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem',
    '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  return {
    dir,
    ca: readFileSync(join(dir, 'ca.pem')),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts the IdP and resolves once it printed its READY line. */
export async function startIdp(certs, extraArgs = []) {
  const child = spawn(process.execPath, [
    join(IDP_DIR, 'server.mjs'), '--port', '0', '--cert', certs.cert, '--key', certs.key, ...extraArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.setEncoding('utf8');
  const issuer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`IdP did not start in time:\n${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /^READY (https:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`IdP exited early (${code}):\n${stderr}`));
    });
  });
  const exited = new Promise((resolve) => { child.on('exit', (code, signal) => resolve({ code, signal })); });
  return {
    issuer,
    child,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** One HTTPS request trusting only the test CA; never follows redirects. */
export function request(url, {
  method = 'GET', headers = {}, body, ca, jar,
} = {}) {
  const u = new URL(url);
  const hdrs = { ...headers };
  if (jar) {
    const cookie = jar.header(u);
    if (cookie) hdrs.cookie = cookie;
  }
  let payload;
  if (body instanceof URLSearchParams) {
    payload = Buffer.from(body.toString());
    hdrs['content-type'] = 'application/x-www-form-urlencoded';
  } else if (typeof body === 'string') {
    payload = Buffer.from(body);
  }
  if (payload) hdrs['content-length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = https.request(u, {
      method, headers: hdrs, ca, agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (jar) jar.store(u, res.headers['set-cookie']);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          headers: res.headers,
          text,
          json() { return JSON.parse(text); },
        });
      });
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Minimal cookie jar honouring Path, Max-Age/Expires deletion and Secure. */
export class CookieJar {
  #cookies = new Map(); // `${name};${path}` -> { name, value, path, secure }

  store(url, setCookies = []) {
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let secure = false;
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.toLowerCase();
        if (key === 'path') path = v || '/';
        if (key === 'secure') secure = true;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const id = `${name};${path}`;
      if (expired || value === '') this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path, secure });
    }
  }

  header(url) {
    const out = [];
    for (const c of this.#cookies.values()) {
      if (c.secure && url.protocol !== 'https:') continue;
      const p = c.path.endsWith('/') ? c.path : `${c.path}/`;
      if (url.pathname === c.path || url.pathname.startsWith(p)) out.push(`${c.name}=${c.value}`);
    }
    return out.join('; ');
  }
}

export const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function pkcePair() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

export function decodeJwt(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/** Verifies an RS256 JWT against a JWKS document; returns its payload. */
export function verifyJwt(token, jwks) {
  const { header, payload, signingInput, signature } = decodeJwt(token);
  if (header.alg !== 'RS256') throw new Error(`unexpected alg ${header.alg}`);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error('signing key not in JWKS');
  if (jwk.d || jwk.p) throw new Error('JWKS exposes private key material');
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  if (!cryptoVerify('RSA-SHA256', Buffer.from(signingInput), key, signature)) {
    throw new Error('bad signature');
  }
  return payload;
}
