// Integration tests: the IdP runs as a child process over real HTTPS with a
// throwaway CA, and is driven the way ChartGuard (and a browser) would drive it.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { ACCOUNTS, DEMO_PASSWORD } from '../accounts.mjs';
import {
  CLIENT_ID, CookieJar, decodeJwt, makeCerts, pkcePair, request, startIdp, verifyJwt,
} from './helpers.mjs';

const AUDIENCE = 'urn:chartguard:platform';
const REDIRECT_URI = 'http://127.0.0.1:54321/callback';

let certs;
let idp;
let issuer;
let discovery;
let jwks;

const get = (url, opts = {}) => request(url, { ca: certs.ca, ...opts });
const post = (url, form, opts = {}) => request(url, {
  ca: certs.ca, method: 'POST', body: new URLSearchParams(form), ...opts,
});
const token = (form) => post(discovery.token_endpoint, { client_id: CLIENT_ID, ...form });

function formOf(html) {
  const form = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(html);
  assert.ok(form, 'login page has a POST form');
  const names = [...html.matchAll(/<input[^>]*name="([^"]+)"/g)].map((m) => m[1]);
  return { action: form[1].replace(/&amp;/g, '&'), names };
}

/**
 * Drives the authorization endpoint like a browser: follows redirects inside
 * the IdP, fills the login form with `logins` (in order) whenever it shows up,
 * and stops at the first redirect that leaves the IdP.
 */
async function authorize(jar, {
  params = {}, logins = [], pkce = pkcePair(), redirectUri = REDIRECT_URI,
} = {}) {
  const state = randomBytes(12).toString('base64url');
  const nonce = randomBytes(12).toString('base64url');
  const url = new URL(discovery.authorization_endpoint);
  const query = {
    client_id: CLIENT_ID,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile offline_access',
    state,
    nonce,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);

  const pages = [];
  const autoForms = [];
  let res = await get(url, { jar });
  const queue = [...logins];
  for (let hops = 0; hops < 20; hops += 1) {
    if ([302, 303].includes(res.status)) {
      const next = new URL(res.headers.location, issuer);
      if (next.origin !== issuer) {
        return {
          status: res.status, location: next, state, nonce, pkce, pages, autoForms,
        };
      }
      res = await get(next, { jar });
    } else if (res.status === 200 && /<form/i.test(res.text) && !/name="username"/.test(res.text)) {
      // Auto-submitting form (oidc-provider ends the previous user's session
      // when another user signs in): submit its hidden fields like a browser.
      autoForms.push(res.text);
      const { action } = formOf(res.text);
      const hidden = Object.fromEntries([...res.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)]
        .map((m) => [m[1], m[2]]));
      res = await post(new URL(action, issuer), hidden, { jar });
    } else if (res.status === 200 && /<form/i.test(res.text)) {
      pages.push(res.text);
      const login = queue.shift();
      if (!login) return { status: res.status, page: res.text, pages };
      const { action } = formOf(res.text);
      res = await post(new URL(action, issuer), login, { jar });
    } else {
      return {
        status: res.status, page: res.text, pages, headers: res.headers,
      };
    }
  }
  throw new Error('too many redirects');
}

before(async () => {
  certs = makeCerts();
  idp = await startIdp(certs, ['--audience', AUDIENCE, '--access-ttl', '120', '--refresh-ttl', '3600']);
  issuer = idp.issuer;
  discovery = (await get(`${issuer}/.well-known/openid-configuration`)).json();
  jwks = (await get(discovery.jwks_uri)).json();
});

after(async () => {
  if (process.env.IDP_TEST_LOGS) process.stderr.write(idp?.stderr ?? "");
  await idp?.stop();
  certs?.cleanup();
});

describe('discovery', () => {
  test('issuer, endpoints, grant types and PKCE methods', () => {
    assert.match(issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(discovery.issuer, issuer);
    assert.ok(discovery.authorization_endpoint.startsWith(`${issuer}/`));
    assert.ok(discovery.token_endpoint.startsWith(`${issuer}/`));
    assert.ok(discovery.jwks_uri.startsWith(`${issuer}/`));
    for (const g of ['authorization_code', 'refresh_token', 'password']) {
      assert.ok(discovery.grant_types_supported.includes(g), g);
    }
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
    assert.ok(discovery.scopes_supported.includes('offline_access'));
    assert.ok(discovery.token_endpoint_auth_methods_supported.includes('none'));
    assert.ok(discovery.id_token_signing_alg_values_supported.includes('RS256'));
  });

  test('JWKS publishes one public RS256 key', () => {
    assert.equal(jwks.keys.length, 1);
    const [k] = jwks.keys;
    assert.equal(k.kty, 'RSA');
    assert.equal(k.alg, 'RS256');
    assert.equal(k.d, undefined);
  });

  test('stdout carries only the READY line', () => {
    assert.equal(idp.stdout, `READY ${issuer}\n`);
  });
});

describe('password grant', () => {
  test('success: JWT access token, ID token, refresh token', async () => {
    const res = await token({
      grant_type: 'password', username: 'wangyi', password: DEMO_PASSWORD, scope: 'openid profile offline_access',
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 120);
    assert.equal(body.scope, 'openid profile offline_access');
    assert.ok(body.refresh_token);

    const { header } = decodeJwt(body.access_token);
    assert.equal(header.typ, 'at+jwt');
    const at = verifyJwt(body.access_token, jwks);
    assert.equal(at.iss, issuer);
    assert.equal(at.aud, AUDIENCE);
    assert.equal(at.sub, 'doc-wangyi');
    assert.equal(at.client_id, CLIENT_ID);
    assert.equal(at.name, '王毅');
    assert.equal(at.staff_no, 'D1001');
    assert.deepEqual(at.roles, ['doctor']);
    assert.equal(at.department, 'cardiology');
    assert.equal(at.hospital, "City First People's Hospital");
    assert.equal(at.exp - at.iat, 120);

    const id = verifyJwt(body.id_token, jwks);
    assert.equal(id.iss, issuer);
    assert.equal(id.aud, CLIENT_ID);
    assert.equal(id.sub, 'doc-wangyi');
    assert.equal(id.preferred_username, 'wangyi');
    assert.equal(id.name, '王毅');
    assert.equal(id.staff_no, 'D1001');
    assert.deepEqual(id.roles, ['doctor']);
    assert.equal(id.department, 'cardiology');
    assert.equal(id.hospital, "City First People's Hospital");
  });

  test('every demo account can sign in except the locked one', async () => {
    for (const [username, profile] of Object.entries(ACCOUNTS)) {
      const res = await token({
        grant_type: 'password', username, password: DEMO_PASSWORD, scope: 'openid',
      });
      if (profile.locked) {
        assert.equal(res.status, 400);
        continue;
      }
      assert.equal(res.status, 200, `${username}: ${res.text}`);
      const at = verifyJwt(res.json().access_token, jwks);
      assert.equal(at.sub, profile.sub);
      assert.deepEqual(at.roles, [...profile.roles]);
      assert.equal(at.staff_no, profile.staff_no);
      assert.equal(at.department, profile.department);
    }
  });

  test('without offline_access: no refresh token; without openid: no ID token', async () => {
    const res = await token({
      grant_type: 'password', username: 'lihua', password: DEMO_PASSWORD, scope: 'openid profile',
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.refresh_token, undefined);
    assert.ok(body.id_token);
    assert.deepEqual(verifyJwt(body.access_token, jwks).roles, ['doctor', 'department_head']);

    const res2 = await token({ grant_type: 'password', username: 'chen', password: DEMO_PASSWORD });
    assert.equal(res2.status, 200, res2.text);
    assert.equal(res2.json().id_token, undefined);
    assert.equal(verifyJwt(res2.json().access_token, jwks).aud, AUDIENCE);
  });

  test('wrong password and unknown user: invalid credentials', async () => {
    for (const [username, password] of [['wangyi', 'wrong'], ['nobody', DEMO_PASSWORD]]) {
      const res = await token({
        grant_type: 'password', username, password, scope: 'openid',
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.json(), { error: 'invalid_grant', error_description: 'invalid credentials' });
    }
  });

  test('locked account: account locked', async () => {
    for (const password of [DEMO_PASSWORD, 'wrong']) {
      const res = await token({
        grant_type: 'password', username: 'locked', password, scope: 'openid',
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.json(), { error: 'invalid_grant', error_description: 'account locked' });
    }
  });

  test('passwords and tokens never reach the logs', async () => {
    const res = await token({
      grant_type: 'password', username: 'wangyi', password: 'SecretTypo-123', scope: 'openid',
    });
    assert.equal(res.status, 400);
    const ok = (await token({
      grant_type: 'password', username: 'wangyi', password: DEMO_PASSWORD, scope: 'openid offline_access',
    })).json();
    await new Promise((r) => { setTimeout(r, 100); });
    assert.ok(!idp.stderr.includes('SecretTypo-123'));
    assert.ok(!idp.stderr.includes(DEMO_PASSWORD));
    assert.ok(!idp.stderr.includes(ok.access_token));
    assert.ok(!idp.stderr.includes(ok.refresh_token));
  });
});

describe('refresh_token grant', () => {
  test('returns a new JWT access token and rotates the refresh token', async () => {
    const first = (await token({
      grant_type: 'password', username: 'chen', password: DEMO_PASSWORD, scope: 'openid profile offline_access',
    })).json();
    const res = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.notEqual(body.access_token, first.access_token);
    assert.ok(body.refresh_token);
    assert.notEqual(body.refresh_token, first.refresh_token);
    assert.ok(body.id_token);
    const at = verifyJwt(body.access_token, jwks);
    assert.equal(at.aud, AUDIENCE);
    assert.equal(at.sub, 'doc-chen');
    assert.equal(at.staff_no, 'D1002');
    assert.deepEqual(at.roles, ['doctor']);
    assert.equal(at.name, 'Dr. Emma Chen');

    // The rotated-out token is dead (and reusing it revokes the chain).
    const reuse = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.json().error, 'invalid_grant');
  });

  test('unknown refresh token: invalid_grant', async () => {
    const res = await token({ grant_type: 'refresh_token', refresh_token: 'not-a-token' });
    assert.equal(res.status, 400);
    assert.equal(res.json().error, 'invalid_grant');
  });
});

describe('authorization code + PKCE (S256)', () => {
  test('full flow with prompt=login on an arbitrary loopback port', async () => {
    const jar = new CookieJar();
    const flow = await authorize(jar, {
      params: { prompt: 'login' },
      logins: [
        { username: 'wangyi', password: 'wrong-password' },
        { username: 'locked', password: DEMO_PASSWORD },
        { username: 'wangyi', password: DEMO_PASSWORD },
      ],
    });
    assert.equal(flow.pages.length, 3);
    const { names } = formOf(flow.pages[0]);
    assert.ok(names.includes('username') && names.includes('password'));
    assert.match(flow.pages[0], /用户名/);
    assert.match(flow.pages[0], /Username/);
    assert.match(flow.pages[1], /Invalid username or password/);
    assert.match(flow.pages[2], /Account locked/);

    assert.ok([302, 303].includes(flow.status), `${flow.status} ${flow.page}`);
    assert.equal(`${flow.location.origin}${flow.location.pathname}`, REDIRECT_URI);
    const code = flow.location.searchParams.get('code');
    assert.ok(code, flow.location.href);
    assert.equal(flow.location.searchParams.get('state'), flow.state);
    assert.equal(flow.location.searchParams.get('iss'), issuer);

    const res = await token({
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: flow.pkce.verifier,
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.token_type, 'Bearer');
    assert.ok(body.refresh_token, 'offline_access honoured without a consent screen');
    const at = verifyJwt(body.access_token, jwks);
    assert.equal(at.aud, AUDIENCE);
    assert.equal(at.iss, issuer);
    assert.equal(at.sub, 'doc-wangyi');
    assert.equal(at.staff_no, 'D1001');
    assert.deepEqual(at.roles, ['doctor']);
    assert.equal(at.department, 'cardiology');
    const id = verifyJwt(body.id_token, jwks);
    assert.equal(id.nonce, flow.nonce);
    assert.equal(id.sub, 'doc-wangyi');
    assert.equal(id.preferred_username, 'wangyi');
    assert.equal(id.staff_no, 'D1001');
    assert.deepEqual(id.roles, ['doctor']);
    assert.equal(id.hospital, "City First People's Hospital");

    // The refresh token from the code flow works with the refresh_token grant.
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: body.refresh_token });
    assert.equal(refreshed.status, 200, refreshed.text);
    const at2 = verifyJwt(refreshed.json().access_token, jwks);
    assert.equal(at2.aud, AUDIENCE);
    assert.equal(at2.sub, 'doc-wangyi');
    assert.equal(at2.staff_no, 'D1001');

    // The code is single-use; replaying it revokes the whole grant, including
    // the refresh tokens issued from it.
    const again = await token({
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: flow.pkce.verifier,
    });
    assert.equal(again.status, 400);
    assert.equal(again.json().error, 'invalid_grant');
    const revoked = await token({ grant_type: 'refresh_token', refresh_token: refreshed.json().refresh_token });
    assert.equal(revoked.status, 400);
    assert.equal(revoked.json().error, 'invalid_grant');

    // Same browser session: prompt=login shows the form again, and another
    // doctor can sign in; without prompt=login the session is reused.
    const relogin = await authorize(jar, {
      params: { prompt: 'login' },
      logins: [{ username: 'lihua', password: DEMO_PASSWORD }],
      redirectUri: 'http://127.0.0.1:40001/callback',
    });
    assert.equal(relogin.pages.length, 1, 'prompt=login forces the form');
    assert.equal(relogin.autoForms.length, 1, 'previous user signed out first');
    assert.equal(flow.autoForms.length, 0);
    const code2 = relogin.location.searchParams.get('code');
    assert.ok(code2);
    const res2 = await token({
      grant_type: 'authorization_code', code: code2, redirect_uri: 'http://127.0.0.1:40001/callback', code_verifier: relogin.pkce.verifier,
    });
    assert.equal(res2.status, 200, res2.text);
    assert.deepEqual(verifyJwt(res2.json().access_token, jwks).roles, ['doctor', 'department_head']);

    const sso = await authorize(jar, { params: { scope: 'openid profile' } });
    assert.equal(sso.pages.length, 0, 'no form without prompt=login');
    assert.ok(sso.location.searchParams.get('code'));
    const ssoOffline = await authorize(jar, {});
    assert.equal(ssoOffline.pages.length, 0, 'no consent screen for offline_access');
    const res3 = await token({
      grant_type: 'authorization_code', code: ssoOffline.location.searchParams.get('code'), redirect_uri: REDIRECT_URI, code_verifier: ssoOffline.pkce.verifier,
    });
    assert.equal(res3.status, 200, res3.text);
    assert.ok(res3.json().refresh_token);
    assert.equal(verifyJwt(res3.json().access_token, jwks).sub, 'head-lihua');

    // Same user again with prompt=login: form shown, no sign-out step.
    const same = await authorize(jar, {
      params: { prompt: 'login' }, logins: [{ username: 'lihua', password: DEMO_PASSWORD }],
    });
    assert.equal(same.pages.length, 1);
    assert.equal(same.autoForms.length, 0);
    assert.ok(same.location.searchParams.get('code'));
  });

  test('scope without offline_access: tokens but no refresh token', async () => {
    const flow = await authorize(new CookieJar(), {
      params: { scope: 'openid profile' },
      logins: [{ username: 'itadmin', password: DEMO_PASSWORD }],
      redirectUri: 'http://127.0.0.1:61000/callback',
    });
    const res = await token({
      grant_type: 'authorization_code', code: flow.location.searchParams.get('code'), redirect_uri: 'http://127.0.0.1:61000/callback', code_verifier: flow.pkce.verifier,
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.refresh_token, undefined);
    const at = verifyJwt(body.access_token, jwks);
    assert.equal(at.aud, AUDIENCE);
    assert.deepEqual(at.roles, ['it_admin']);
    assert.equal(verifyJwt(body.id_token, jwks).name, '赵工');
  });

  test('code exchange with a wrong verifier fails', async () => {
    const flow = await authorize(new CookieJar(), {
      params: { prompt: 'login' }, logins: [{ username: 'chen', password: DEMO_PASSWORD }],
    });
    const code = flow.location.searchParams.get('code');
    assert.ok(code);
    const res = await token({
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: pkcePair().verifier,
    });
    assert.equal(res.status, 400);
    assert.equal(res.json().error, 'invalid_grant');
    const missing = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    assert.equal(missing.status, 400);
  });

  test('code exchange with a different redirect_uri fails', async () => {
    const flow = await authorize(new CookieJar(), {
      logins: [{ username: 'chen', password: DEMO_PASSWORD }],
    });
    const res = await token({
      grant_type: 'authorization_code', code: flow.location.searchParams.get('code'), redirect_uri: 'http://127.0.0.1:1234/callback', code_verifier: flow.pkce.verifier,
    });
    assert.equal(res.status, 400);
    assert.equal(res.json().error, 'invalid_grant');
  });

  test('code_challenge_method=plain is refused', async () => {
    const verifier = pkcePair().verifier;
    const flow = await authorize(new CookieJar(), {
      params: { code_challenge: verifier, code_challenge_method: 'plain' },
      logins: [{ username: 'wangyi', password: DEMO_PASSWORD }],
    });
    assert.equal(flow.pages.length, 0, 'refused before the login form');
    assert.equal(flow.location.searchParams.get('code'), null);
    assert.equal(flow.location.searchParams.get('error'), 'invalid_request');
  });

  test('missing code_challenge is refused', async () => {
    const flow = await authorize(new CookieJar(), {
      params: { code_challenge: undefined, code_challenge_method: undefined },
    });
    assert.equal(flow.location.searchParams.get('code'), null);
    assert.equal(flow.location.searchParams.get('error'), 'invalid_request');
  });

  test('non-loopback or other-path redirect URIs are refused (no redirect)', async () => {
    for (const uri of ['http://evil.example:54321/callback', 'http://127.0.0.1:54321/other', 'https://127.0.0.1:54321/callback']) {
      const flow = await authorize(new CookieJar(), { redirectUri: uri });
      assert.equal(flow.status, 400, uri);
      assert.equal(flow.location, undefined);
      assert.match(flow.page, /redirect_uri/);
    }
  });

  test('login page escapes reflected input', async () => {
    const flow = await authorize(new CookieJar(), {
      logins: [{ username: '<script>alert(1)</script>"', password: 'x' }],
    });
    assert.equal(flow.pages.length, 2);
    assert.ok(!flow.pages[1].includes('<script>alert(1)'));
    assert.match(flow.pages[1], /&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;/);
  });

  test('cancel on the login form returns access_denied to the client', async () => {
    const jar = new CookieJar();
    const first = await authorize(jar, {});
    const abort = /href="([^"]*\/abort)"/.exec(first.page)[1];
    let res = await get(new URL(abort, issuer), { jar });
    while ([302, 303].includes(res.status)) {
      const next = new URL(res.headers.location, issuer);
      if (next.origin !== issuer) {
        assert.equal(next.searchParams.get('error'), 'access_denied');
        assert.equal(next.searchParams.get('code'), null);
        return;
      }
      res = await get(next, { jar });
    }
    assert.fail(`no redirect to the client: ${res.status}`);
  });
});

describe('process', () => {
  test('exits cleanly on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT']) {
      const other = await startIdp(certs);
      assert.notEqual(other.issuer, issuer);
      const res = await get(`${other.issuer}/.well-known/openid-configuration`);
      assert.equal(res.json().issuer, other.issuer);
      const { code } = await other.stop(signal);
      assert.equal(code, 0, signal);
    }
  });
});
