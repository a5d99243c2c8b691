#!/usr/bin/env node
// Tencent's Node reference library (npm tls-sig-api-v2) behind the same
// JSON-lines protocol as ref_py.py, for devtools/interop/interop.py.
//
//   {"op": "gen", "sdkappid", "key", "identifier", "expire", "time"}
//       -> {"token"}                       (the library's genUserSig)
//   {"op": "gen", ..., "roomid": N, "privilege": N}
//       -> {"token"}                       (genPrivateMapKey: a token with TLS.userbuf)
//   {"op": "gen", ..., "roomstr": S, "privilege": N}
//       -> {"token"}                       (genPrivateMapKeyWithStringRoomID)
//   {"op": "verify", "sdkappid", "key", "identifier", "token", "now"}
//       -> {"ok", "reason", "claims"}
//
// The library has no verify function and does not export its base64url
// helper. Verification here is ours: Tencent's alphabet mapped back with the
// same three replacements the library's unescape uses, Node's zlib and JSON;
// the HMAC is recomputed with the library's own Api.prototype._hmacsha256
// (content lines + HMAC-SHA256 + base64) and compared in constant time.
'use strict';
const path = require('path');
const crypto = require('crypto');
const zlib = require('zlib');
const readline = require('readline');

const libDir = process.env.TLS_SIG_NODE_DIR || path.join(__dirname, '..', '..', '.local', 'node', 'node_modules');
const TLSSigAPIv2 = require(path.join(libDir, 'tls-sig-api-v2'));

function gen(req) {
  // The library reads Date.now() itself; freeze it at the requested time.
  Date.now = () => req.time * 1000;
  const api = new TLSSigAPIv2.Api(req.sdkappid, req.key);
  let token;
  if (req.roomid != null) {
    token = api.genPrivateMapKey(req.identifier, req.expire, req.roomid, req.privilege);
  } else if (req.roomstr != null) {
    token = api.genPrivateMapKeyWithStringRoomID(req.identifier, req.expire, req.roomstr, req.privilege);
  } else {
    token = api.genUserSig(req.identifier, req.expire);
  }
  return { token };
}

function verify(req) {
  let doc;
  try {
    const standard = req.token.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
    if (!/^[A-Za-z0-9+/]*=*$/.test(standard)) throw new Error('not base64');
    doc = JSON.parse(zlib.inflateSync(Buffer.from(standard, 'base64')).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: String(err), claims: null };
  }
  const num = (v) => (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? Number(v) : NaN);
  const claims = {
    identifier: doc['TLS.identifier'],
    sdkappid: num(doc['TLS.sdkappid']),
    time: num(doc['TLS.time']),
    expire: num(doc['TLS.expire']),
  };
  if (typeof claims.identifier !== 'string' || typeof doc['TLS.sig'] !== 'string'
      || [claims.sdkappid, claims.time, claims.expire].some(Number.isNaN)) {
    return { ok: false, reason: 'malformed', claims: null };
  }
  if (doc['TLS.ver'] !== '2.0') return { ok: false, reason: 'version', claims };
  if (claims.sdkappid !== req.sdkappid) return { ok: false, reason: 'sdkappid', claims };
  if (claims.identifier !== req.identifier) return { ok: false, reason: 'identifier', claims };
  const api = new TLSSigAPIv2.Api(req.sdkappid, req.key);
  const userbuf = doc['TLS.userbuf'] == null ? null : doc['TLS.userbuf'];
  const expected = Buffer.from(api._hmacsha256(claims.identifier, claims.time, claims.expire, userbuf));
  const given = Buffer.from(doc['TLS.sig']);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'signature', claims };
  }
  if (req.now > claims.time + claims.expire) return { ok: false, reason: 'expired', claims };
  return { ok: true, reason: null, claims };
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', (line) => {
  if (!line.trim()) return;
  const req = JSON.parse(line);
  const answer = req.op === 'gen' ? gen(req) : verify(req);
  process.stdout.write(JSON.stringify(answer) + '\n');
});
