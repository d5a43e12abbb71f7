// The authorization server of the OAuth tests (tests/cli/oauth*.rs): panva's oidc-provider,
// pinned in package-lock.json, on 127.0.0.1 with a random port. Two public native clients
// (kw-rotate rotates refresh tokens, kw-plain does not), PKCE required, device flow,
// revocation and introspection, short lifetimes. Login and consent finish on their own (a
// fixed account), so any client that keeps cookies and follows redirects completes a login.
//
// What oidc-provider never does on its own is scripted through POST /_test/mode (JSON):
// access_ttl (seconds), device_interval (added to /device/auth answers), device_script
// (error codes answered to device-code polls before the real answer), deny (finish every
// interaction with access_denied). Every request is appended to $LOG as one line:
// `<ms> <METHOD> <path> <status> grant=<grant_type or ->`, which the tests count.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const log = process.env.LOG;
const mode = { access_ttl: 600, device_interval: 1, device_script: [], deny: false };

const client = (id) => ({
  client_id: id,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/callback'],
});

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const configuration = {
  clients: [client('kw-rotate'), client('kw-plain')],
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  jwks: { keys: [{ ...key, alg: 'ES256', use: 'sig', kid: 'test' }] },
  cookies: { keys: ['keyward-test-cookie-key'] },
  claims: { openid: ['sub'], email: ['email'] },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, email: id }) }),
  features: {
    devInteractions: { enabled: false },
    deviceFlow: {
      enabled: true,
      userCodeConfirmSource: async (ctx, form) => {
        // A browser that runs scripts (headless Chromium) continues on its own, as a person
        // pressing the button would; the scripted browser posts the form itself.
        const button = '<button type="submit">Continue</button></form><script>document.forms[0].submit()</script>';
        ctx.body = `<!doctype html><html><body>${form.replace('</form>', button)}</body></html>`;
      },
      successSource: async (ctx) => {
        ctx.body = '<!doctype html><html><body><p>Device login approved.</p></body></html>';
      },
    },
    revocation: { enabled: true },
    introspection: { enabled: true },
  },
  pkce: { required: () => true },
  rotateRefreshToken: (ctx) => ctx.oidc.client.clientId === 'kw-rotate',
  ttl: {
    AccessToken: () => mode.access_ttl,
    AuthorizationCode: 60,
    DeviceCode: 600,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 3600,
    Session: 3600,
  },
  clockTolerance: 0,
};

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
  const callback = provider.callback();
  server.on('request', (req, res) => handle(provider, callback, req, res));
  console.log(`READY ${port}`);
});

// Logged when the status line is written, before any byte of the answer leaves: a client
// that has its answer (and the test that started it) always finds the line in the log.
// Node's res.end() without writeHead() goes through writeHead() too.
function record(req, res, grant) {
  const writeHead = res.writeHead;
  res.writeHead = function (status, ...rest) {
    if (log) {
      const path = req.url.split('?')[0];
      appendFileSync(log, `${Date.now()} ${req.method} ${path} ${status} grant=${grant || '-'}\n`);
    }
    return writeHead.call(this, status, ...rest);
  };
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString();
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function handle(provider, callback, req, res) {
  const path = req.url.split('?')[0];
  try {
    if (req.method === 'POST' && path === '/_test/mode') {
      Object.assign(mode, JSON.parse(await readBody(req)));
      record(req, res);
      return json(res, 200, mode);
    }
    if (req.method === 'GET' && path.startsWith('/interaction/')) {
      record(req, res);
      return await interaction(provider, req, res);
    }
    if (req.method === 'POST' && (path === '/token' || path === '/device/auth')) {
      const body = await readBody(req);
      const params = new URLSearchParams(body);
      record(req, res, params.get('grant_type'));
      if (path === '/token' && params.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code'
        && mode.device_script.length > 0) {
        const error = mode.device_script.shift();
        return json(res, 400, { error, error_description: 'scripted by the test server' });
      }
      req.body = body;
      if (path === '/device/auth') return withInterval(callback, req, res);
      return callback(req, res);
    }
    record(req, res);
    return callback(req, res);
  } catch (e) {
    console.error(e);
    if (!res.headersSent) json(res, 500, { error: 'server_error' });
  }
}

// oidc-provider sends no `interval`; the tests want a short one.
function withInterval(callback, req, res) {
  const end = res.end.bind(res);
  const chunks = [];
  res.write = (c) => { chunks.push(Buffer.from(c)); return true; };
  res.end = (c) => {
    if (c) chunks.push(Buffer.from(c));
    let text = Buffer.concat(chunks).toString();
    try {
      const body = JSON.parse(text);
      if (body.device_code && mode.device_interval) body.interval = mode.device_interval;
      text = JSON.stringify(body);
      res.setHeader('content-length', Buffer.byteLength(text));
    } catch { /* not JSON: pass on as it is */ }
    return end(text);
  };
  return callback(req, res);
}

async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  if (mode.deny) {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'denied by the test' },
      { mergeWithLastSubmission: false });
  }
  const { prompt, params, session, grantId } = details;
  const result = {};
  if (prompt.name === 'login') {
    result.login = { accountId: 'user@example.test' };
  } else {
    const grant = grantId ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    if (d.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
    }
    result.consent = { grantId: await grant.save() };
  }
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}
