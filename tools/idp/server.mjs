#!/usr/bin/env node
// ChartGuard test identity provider: a real OpenID Connect provider
// (oidc-provider) for demos and integration tests.
//
//   node tools/idp/server.mjs --port 0 --cert server.pem --key server-key.pem \
//     [--host 127.0.0.1] [--audience urn:chartguard:platform] \
//     [--access-ttl 300] [--refresh-ttl 28800]
//
// stdout carries exactly one line, `READY https://HOST:PORT`, once listening.
// Everything else goes to stderr. Passwords and tokens are never logged.

import { randomBytes, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { parseArgs } from 'node:util';

// oidc-provider prints its notices with console.info (stdout). stdout is
// reserved for the READY line, so route every console channel to stderr.
console.log = console.error; // eslint-disable-line no-console
console.info = console.error; // eslint-disable-line no-console
console.debug = console.error; // eslint-disable-line no-console

const { default: Provider, errors, interactionPolicy } = await import('oidc-provider');
const {
  authenticate, findBySub, profileClaims,
} = await import('./accounts.mjs');

const CLIENT_ID = 'chartguard-desktop';
const SCOPES = ['openid', 'profile', 'offline_access'];
const PROFILE_CLAIMS = ['name', 'preferred_username', 'staff_no', 'roles', 'department', 'hospital'];
const ACCESS_TOKEN_EXTRA_CLAIMS = ['name', 'staff_no', 'roles', 'department', 'hospital'];

function log(msg) {
  process.stderr.write(`[idp] ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`idp: ${msg}\n`);
  process.exit(2);
}

function parseCli(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        cert: { type: 'string' },
        key: { type: 'string' },
        audience: { type: 'string', default: 'urn:chartguard:platform' },
        'access-ttl': { type: 'string', default: '300' },
        'refresh-ttl': { type: 'string', default: '28800' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(err.message);
  }
  if (values.help) {
    process.stderr.write('usage: node server.mjs --port 0 --cert server.pem --key server-key.pem '
      + '[--host 127.0.0.1] [--audience urn:chartguard:platform] [--access-ttl 300] [--refresh-ttl 28800]\n');
    process.exit(0);
  }
  const int = (name, min, max) => {
    const raw = values[name];
    if (!/^\d+$/.test(raw)) fail(`--${name} must be a non-negative integer`);
    const n = Number(raw);
    if (n < min || n > max) fail(`--${name} must be between ${min} and ${max}`);
    return n;
  };
  if (!values.cert || !values.key) fail('--cert and --key are required (PEM files)');
  try {
    // eslint-disable-next-line no-new
    new URL(values.audience);
  } catch {
    fail('--audience must be an absolute URI');
  }
  return {
    port: int('port', 0, 65535),
    host: values.host,
    certFile: values.cert,
    keyFile: values.key,
    audience: values.audience,
    accessTtl: int('access-ttl', 1, 7 * 24 * 3600),
    refreshTtl: int('refresh-ttl', 1, 365 * 24 * 3600),
  };
}

// ---------------------------------------------------------------- HTML helpers

const HTML_ESCAPES = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;',
};
function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;background:#f3f5f8;margin:0}
main{max-width:380px;margin:8vh auto;background:#fff;padding:28px 32px;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:20px;margin:0 0 4px}
p.sub{color:#667;margin:0 0 20px;font-size:14px}
label{display:block;margin:12px 0 4px;font-size:14px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;font-size:15px;border:1px solid #bbc;border-radius:4px}
button{margin-top:20px;width:100%;padding:10px;font-size:15px;background:#1f6feb;color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{background:#fdecea;color:#8a1c13;padding:8px 10px;border-radius:4px;font-size:14px}
.cancel{display:block;text-align:center;margin-top:14px;font-size:13px;color:#667}
</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

const ERROR_TEXT = {
  'invalid credentials': '用户名或密码错误 / Invalid username or password',
  'account locked': '账户已锁定 / Account locked',
  missing: '请输入用户名和密码 / Please enter username and password',
};

function loginPage({ uid, clientId, username = '', error }) {
  const action = `/interaction/${encodeURIComponent(uid)}/login`;
  const abort = `/interaction/${encodeURIComponent(uid)}/abort`;
  return page('登录 / Sign in', `
<h1>医院统一身份认证 / Hospital sign-in</h1>
<p class="sub">${escapeHtml(clientId)}</p>
${error ? `<p class="error" role="alert">${escapeHtml(ERROR_TEXT[error] ?? error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="off">
<label for="username">用户名 / Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(username)}" required autofocus>
<label for="password">密码 / Password</label>
<input type="password" id="password" name="password" required>
<button type="submit">登录 / Sign in</button>
</form>
<a class="cancel" href="${escapeHtml(abort)}">取消 / Cancel</a>
`);
}

// ------------------------------------------------------------------- helpers

async function readForm(req, limit = 16 * 1024) {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    const err = new Error('unsupported content type');
    err.status = 415;
    throw err;
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) {
      const err = new Error('request body too large');
      err.status = 413;
      throw err;
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomUUID(),
    alg: 'RS256',
    use: 'sig',
  };
}

// ------------------------------------------------------------------ provider

function buildProvider(issuer, opts) {
  const { audience, accessTtl, refreshTtl } = opts;

  const resourceServerInfo = {
    scope: SCOPES.join(' '),
    audience,
    accessTokenTTL: accessTtl,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  };

  // Interaction policy: the default one minus the "native clients always need
  // a consent screen" check; ChartGuard Desktop is a first-party client whose
  // grants are established automatically (see loadExistingGrant).
  const policy = interactionPolicy.base();
  policy.get('consent').checks.remove('native_client_prompt');

  async function firstPartyGrant(accountId, existing) {
    const grant = existing ?? new provider.Grant({ clientId: CLIENT_ID, accountId });
    grant.addOIDCScope(SCOPES.join(' '));
    grant.addOIDCClaims(['sub', ...PROFILE_CLAIMS]);
    grant.addResourceScope(audience, SCOPES.join(' '));
    await grant.save();
    return grant;
  }

  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_name: 'ChartGuard Desktop',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token', 'password'],
      response_types: ['code'],
      // Any loopback port is accepted for native clients (RFC 8252 §7.3);
      // oidc-provider's Client#redirectUriAllowed ignores the port here.
      redirect_uris: ['http://127.0.0.1/callback'],
      scope: SCOPES.join(' '),
    }],
    jwks: { keys: [newSigningKey()] },
    cookies: {
      keys: [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')],
    },
    scopes: SCOPES,
    responseTypes: ['code'],
    claims: {
      // Identity claims come with `openid` already, so that any ID token for
      // this client carries them; `profile` is accepted for conventional clients.
      openid: ['sub', ...PROFILE_CLAIMS],
      profile: PROFILE_CLAIMS,
    },
    conformIdTokenClaims: false,
    pkce: {
      methods: ['S256'],
      required: () => true,
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resourceIndicator) => {
          if (resourceIndicator === audience) return resourceServerInfo;
          throw new errors.InvalidTarget();
        },
      },
    },
    async findAccount(ctx, sub) {
      const account = findBySub(sub);
      if (!account || account.locked) return undefined;
      return {
        accountId: account.sub,
        async claims() {
          return profileClaims(account);
        },
      };
    },
    async extraTokenClaims(ctx, token) {
      if (!token.accountId) return undefined;
      const account = findBySub(token.accountId);
      if (!account) return undefined;
      const claims = profileClaims(account);
      return Object.fromEntries(ACCESS_TOKEN_EXTRA_CLAIMS.map((k) => [k, claims[k]]));
    },
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const accountId = oidc.session.accountId;
      const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
      let grant;
      if (grantId) grant = await oidc.provider.Grant.find(grantId);
      if (grant && grant.accountId !== accountId) grant = undefined;
      if (oidc.client.clientId === CLIENT_ID && accountId) {
        // First-party client: grant openid/profile/offline_access and the
        // platform audience without asking.
        return firstPartyGrant(accountId, grant);
      }
      return grant;
    },
    async issueRefreshToken(ctx, client, code) {
      return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
    },
    rotateRefreshToken: true,
    expiresWithSession: async (ctx, code) => !code.scopes.has('offline_access'),
    interactions: {
      policy,
      url: (ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: accessTtl,
      IdToken: accessTtl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: refreshTtl,
      Grant: refreshTtl,
      // Absolute lifetime: rotation does not extend the offline session.
      RefreshToken(ctx, token) {
        const rotated = ctx?.oidc?.entities?.RotatedRefreshToken;
        if (rotated) return Math.max(rotated.remainingTTL, 1);
        return refreshTtl;
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('错误 / Error', `
<h1>出错了 / Something went wrong</h1>
<p class="error">${escapeHtml(out.error)}${out.error_description ? `: ${escapeHtml(out.error_description)}` : ''}</p>
`);
    },
  });

  // ---------------------------------------------- resource owner password grant
  const passwordParams = ['username', 'password', 'scope'];
  provider.registerGrantType('password', async (ctx, next) => {
    const { params, client } = ctx.oidc;
    if (!params.username || !params.password) {
      throw new errors.InvalidRequest('username and password are required');
    }
    const requested = params.scope ? [...new Set(String(params.scope).split(' ').filter(Boolean))] : [];
    for (const s of requested) {
      if (!SCOPES.includes(s)) throw new errors.InvalidScope('requested scope is not allowed', s);
    }
    const result = authenticate(params.username, params.password);
    if (!result.ok) {
      throw new errors.CustomOIDCProviderError('invalid_grant', result.reason);
    }
    const account = await provider.Account.findAccount(ctx, result.account.sub);
    ctx.oidc.entity('Account', account);

    const scope = SCOPES.filter((s) => requested.includes(s)).join(' ');
    const scopeSet = new Set(scope.split(' ').filter(Boolean));
    const grant = new provider.Grant({ clientId: client.clientId, accountId: account.accountId });
    if (scope) {
      grant.addOIDCScope(scope);
      grant.addResourceScope(audience, scope);
    }
    grant.addOIDCClaims(['sub', ...PROFILE_CLAIMS]);
    const grantId = await grant.save();
    ctx.oidc.entity('Grant', grant);

    const authTime = Math.floor(Date.now() / 1000);
    const gty = 'password';

    const at = new provider.AccessToken({
      accountId: account.accountId,
      client,
      expiresWithSession: false,
      grantId,
      gty,
    });
    at.resourceServer = new provider.ResourceServer(audience, resourceServerInfo);
    at.scope = scope || undefined;
    ctx.oidc.entity('AccessToken', at);
    const accessToken = await at.save();

    let refreshToken;
    if (scopeSet.has('offline_access') && client.grantTypeAllowed('refresh_token')) {
      const rt = new provider.RefreshToken({
        accountId: account.accountId,
        authTime,
        client,
        expiresWithSession: false,
        grantId,
        gty,
        resource: audience,
        rotations: 0,
        scope,
      });
      ctx.oidc.entity('RefreshToken', rt);
      refreshToken = await rt.save();
    }

    let idToken;
    if (scopeSet.has('openid')) {
      const token = new provider.IdToken({
        ...await account.claims('id_token', scope, {}, []),
        auth_time: authTime,
      }, { ctx });
      token.scope = scope;
      token.set('at_hash', accessToken);
      idToken = await token.issue({ use: 'idtoken' });
    }

    ctx.body = {
      access_token: accessToken,
      expires_in: at.expiration,
      id_token: idToken,
      refresh_token: refreshToken,
      scope: at.scope,
      token_type: at.tokenType,
    };
    await next();
  }, passwordParams);

  // -------------------------------------------------------- pre-routing hooks
  const authorizationPath = provider.pathFor('authorization');

  provider.use(async (ctx, next) => {
    // OIDC Core §11 makes offline_access depend on prompt=consent. For this
    // first-party client consent is granted automatically (no screen), so a
    // request for offline_access is treated as if it carried prompt=consent.
    if (ctx.method === 'GET' && ctx.path === authorizationPath
        && ctx.query.client_id === CLIENT_ID && typeof ctx.query.scope === 'string'
        && ctx.query.scope.split(' ').includes('offline_access')) {
      const prompt = typeof ctx.query.prompt === 'string' ? ctx.query.prompt.split(' ').filter(Boolean) : [];
      if (!prompt.includes('consent') && !prompt.includes('none')) {
        ctx.query = { ...ctx.query, prompt: [...prompt, 'consent'].join(' ') };
      }
    }

    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/.exec(ctx.path);
    if (!m) {
      await next();
      return;
    }
    const [, uid, action] = m;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'");

    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page('会话已过期 / Session expired', `
<h1>登录会话已过期 / Sign-in session expired</h1>
<p class="error">请从应用重新开始登录。/ Please start the sign-in again from the application.</p>
`);
      return;
    }
    if (details.uid !== uid) {
      ctx.status = 400;
      ctx.body = 'interaction mismatch';
      return;
    }
    const { prompt, params } = details;

    const finish = async (result) => {
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
        mergeWithLastSubmission: false,
      });
      ctx.status = 303;
      ctx.redirect(returnTo);
    };

    if (action === '/abort' && ctx.method === 'GET') {
      await finish({ error: 'access_denied', error_description: 'End-User aborted interaction' });
      return;
    }

    if (!action && ctx.method === 'GET') {
      if (prompt.name === 'login') {
        ctx.type = 'html';
        ctx.body = loginPage({ uid, clientId: params.client_id, username: params.login_hint ?? '' });
        return;
      }
      if (prompt.name === 'consent' && params.client_id === CLIENT_ID && details.session?.accountId) {
        // First-party client: consent without a screen.
        const grant = await firstPartyGrant(details.session.accountId,
          details.grantId ? await provider.Grant.find(details.grantId) : undefined);
        await finish({ consent: { grantId: grant.jti } });
        return;
      }
      await finish({ error: 'access_denied', error_description: `unsupported interaction: ${prompt.name}` });
      return;
    }

    if (action === '/login' && ctx.method === 'POST') {
      let form;
      try {
        form = await readForm(ctx.req);
      } catch (err) {
        ctx.status = err.status ?? 400;
        ctx.body = err.message;
        return;
      }
      const username = form.get('username') ?? '';
      const password = form.get('password') ?? '';
      if (!username || !password) {
        ctx.type = 'html';
        ctx.body = loginPage({ uid, clientId: params.client_id, username, error: 'missing' });
        return;
      }
      const result = authenticate(username, password);
      if (!result.ok) {
        log(`login failed for a user: ${result.reason}`);
        ctx.type = 'html';
        ctx.body = loginPage({ uid, clientId: params.client_id, username, error: result.reason });
        return;
      }
      const accountId = result.account.sub;
      const grant = await firstPartyGrant(accountId);
      await finish({
        login: { accountId, amr: ['pwd'] },
        consent: { grantId: grant.jti },
      });
      return;
    }

    ctx.status = 405;
    ctx.body = 'method not allowed';
  });

  provider.on('server_error', (ctx, err) => log(`server_error: ${err?.stack ?? err}`));
  for (const event of ['grant.error', 'authorization.error', 'end_session.error', 'userinfo.error']) {
    provider.on(event, (ctx, err) => {
      const desc = [err?.error_description, err?.error_detail].filter(Boolean).join('; ');
      log(`${event}: ${err?.error ?? err?.name}${desc ? ` (${desc})` : ''}`);
    });
  }
  return provider;
}

// ---------------------------------------------------------------------- main

async function main() {
  const opts = parseCli(process.argv.slice(2));
  let cert;
  let key;
  try {
    cert = readFileSync(opts.certFile);
    key = readFileSync(opts.keyFile);
  } catch (err) {
    fail(`cannot read certificate/key: ${err.message}`);
  }

  let handler = (req, res) => {
    res.statusCode = 503;
    res.end('starting');
  };
  let server;
  try {
    server = https.createServer({ cert, key }, (req, res) => handler(req, res));
  } catch (err) {
    fail(`invalid certificate/key: ${err.message}`);
  }
  server.on('error', (err) => fail(`server error: ${err.message}`));
  await new Promise((resolve) => { server.listen(opts.port, opts.host, resolve); });
  const { port } = server.address();
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const issuer = `https://${hostForUrl}:${port}`;

  const provider = buildProvider(issuer, opts);
  handler = provider.callback();

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  log(`issuer ${issuer}, client ${CLIENT_ID}, audience ${opts.audience}, access-ttl ${opts.accessTtl}s, refresh-ttl ${opts.refreshTtl}s`);
  process.stdout.write(`READY ${issuer}\n`);
}

await main();
