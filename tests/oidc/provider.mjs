// A real OpenID provider for Zielwerk's sign-in tests, on loopback, with Keycloak's URL layout
// (`/realms/<realm>/protocol/openid-connect/…`).
//
// OIDC_MODE=provider (the default): `oidc-provider`, the certified Node implementation, with its
// development login pages (any password), one confidential client, PKCE required, and the
// accounts of OIDC_ACCOUNTS (JSON: subject → claims, e.g. {"anna": {"name": "Anna Amt",
// "preferred_username": "anna", "groups": ["zielwerk:kreis@t36402"]}}). RP-initiated logout is
// on.
//
// OIDC_MODE=forger: a provider that misbehaves on purpose, for the attack tests. It publishes
// discovery and keys like a real one, sends the browser straight back with a code, and answers
// the token request with an ID token spoiled as POST /control {"attack": "..."} said last:
// wrong-key, wrong-issuer, wrong-audience, expired, no-nonce, wrong-nonce, no-auth-time,
// old-auth-time (two days ago), or none (a correct token, to show the forger itself is accepted
// when it behaves); rotate makes a new signing key, published beside the old one, and behaves, for the account POST /control
// {"account": "..."} named (the first of OIDC_ACCOUNTS without one).
//
// Both print one line `{"port": N, "issuer": "..."}` on stdout when they listen.

import http from 'node:http';
import crypto from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const env = process.env;
const realm = env.OIDC_REALM || 'zielwerk';
const prefix = `/realms/${realm}`;
const clientId = env.OIDC_CLIENT_ID || 'zielwerk';
const clientSecret = env.OIDC_CLIENT_SECRET || 'geheim';
const redirectUri = env.OIDC_REDIRECT_URI;
const postLogoutUri = env.OIDC_POST_LOGOUT_URI;
const accounts = JSON.parse(env.OIDC_ACCOUNTS || '{}');
const mode = env.OIDC_MODE || 'provider';

const routes = {
  authorization: '/protocol/openid-connect/auth',
  token: '/protocol/openid-connect/token',
  jwks: '/protocol/openid-connect/certs',
  userinfo: '/protocol/openid-connect/userinfo',
  end_session: '/protocol/openid-connect/logout',
  revocation: '/protocol/openid-connect/revoke',
  introspection: '/protocol/openid-connect/token/introspect',
};

async function provider() {
  const server = http.createServer((req, res) => {
    // Mounted under the realm: the provider sees the path below it. Its development login
    // pages live at /interaction/… whatever the mount.
    if (req.url.startsWith(`${prefix}/`)) {
      req.originalUrl = req.url;
      req.url = req.url.slice(prefix.length);
    } else if (!req.url.startsWith('/interaction/')) {
      res.statusCode = 404;
      res.end();
      return;
    }
    app(req, res);
  });
  await new Promise((resolve) => server.listen(Number(env.OIDC_PORT || 0), '127.0.0.1', resolve));
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}${prefix}`;
  const oidc = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: postLogoutUri ? [postLogoutUri] : [],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    routes,
    pkce: { required: () => true },
    // The claims in the ID token itself, as Keycloak sends them.
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups', 'realm_access'],
      email: ['email'],
    },
    scopes: ['openid', 'profile', 'email'],
    findAccount: async (ctx, sub) => {
      if (!(sub in accounts)) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) };
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  oidc.on('server_error', (ctx, err) => console.error('server_error', err));
  const app = oidc.callback();
  console.log(JSON.stringify({ port, issuer }));
}

async function forger() {
  const good = await jose.generateKeyPair('RS256', { extractable: true });
  const evil = await jose.generateKeyPair('RS256', { extractable: true });
  const goodJwk = { ...(await jose.exportJWK(good.publicKey)), kid: 'gut', alg: 'RS256', use: 'sig' };
  // After "rotate": a new key, published beside the old one, signs from then on.
  let signing = { key: good.privateKey, kid: 'gut' };
  const published = [goodJwk];
  let attack = 'none';
  let account = Object.keys(accounts)[0];
  let issuer;
  const flows = new Map(); // code → nonce
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    const send = (status, body, type = 'application/json') => {
      res.statusCode = status;
      res.setHeader('content-type', type);
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const body = async () => {
      let data = '';
      for await (const chunk of req) data += chunk;
      return data;
    };
    if (url.pathname === '/control' && req.method === 'POST') {
      const control = JSON.parse(await body());
      attack = control.attack;
      if (attack === 'rotate') {
        const fresh = await jose.generateKeyPair('RS256', { extractable: true });
        const kid = `neu-${published.length}`;
        published.push({ ...(await jose.exportJWK(fresh.publicKey)), kid, alg: 'RS256', use: 'sig' });
        signing = { key: fresh.privateKey, kid };
        attack = 'none';
      }
      account = control.account || Object.keys(accounts)[0];
      return send(200, { attack, account });
    }
    if (url.pathname === `${prefix}/.well-known/openid-configuration`) {
      return send(200, {
        issuer,
        authorization_endpoint: `${issuer}${routes.authorization}`,
        token_endpoint: `${issuer}${routes.token}`,
        jwks_uri: `${issuer}${routes.jwks}`,
        userinfo_endpoint: `${issuer}${routes.userinfo}`,
        end_session_endpoint: `${issuer}${routes.end_session}`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        scopes_supported: ['openid', 'profile', 'email'],
        claims_supported: ['sub', 'name', 'preferred_username', 'groups'],
      });
    }
    if (url.pathname === `${prefix}${routes.jwks}`) {
      return send(200, { keys: published });
    }
    if (url.pathname === `${prefix}${routes.authorization}`) {
      // No login page: straight back with a code, as if the person had signed in.
      const code = crypto.randomBytes(16).toString('hex');
      flows.set(code, url.searchParams.get('nonce'));
      const back = new URL(url.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state'));
      res.statusCode = 303;
      res.setHeader('location', back.href);
      return res.end();
    }
    if (url.pathname === `${prefix}${routes.token}` && req.method === 'POST') {
      const form = new URLSearchParams(await body());
      const code = form.get('code');
      if (!flows.has(code)) return send(400, { error: 'invalid_grant' });
      const nonce = flows.get(code);
      flows.delete(code);
      const sub = account;
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        ...accounts[sub],
        sub,
        auth_time: attack === 'no-auth-time' ? undefined : attack === 'old-auth-time' ? now - 2 * 86400 : now,
        nonce: attack === 'no-nonce' ? undefined : attack === 'wrong-nonce' ? 'falsch' : nonce,
      };
      const jwt = await new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: attack === 'wrong-key' ? 'gut' : signing.kid })
        .setIssuer(attack === 'wrong-issuer' ? 'http://127.0.0.1:1/realms/andere' : issuer)
        .setAudience(attack === 'wrong-audience' ? 'ein-anderer-client' : clientId)
        .setIssuedAt(attack === 'expired' ? now - 7200 : now)
        .setExpirationTime(attack === 'expired' ? now - 3600 : now + 300)
        .sign(attack === 'wrong-key' ? evil.privateKey : signing.key);
      return send(200, {
        access_token: crypto.randomBytes(16).toString('hex'),
        token_type: 'Bearer',
        expires_in: 300,
        id_token: jwt,
      });
    }
    send(404, { error: 'not_found' });
  });
  await new Promise((resolve) => server.listen(Number(env.OIDC_PORT || 0), '127.0.0.1', resolve));
  const { port } = server.address();
  issuer = `http://127.0.0.1:${port}${prefix}`;
  console.log(JSON.stringify({ port, issuer }));
}

if (mode === 'forger') {
  await forger();
} else {
  await provider();
}
