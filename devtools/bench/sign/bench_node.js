#!/usr/bin/env node
// Tencent's Node reference (npm tls-sig-api-v2) in a steady loop, for
// devtools/bench/sign/run.sh. Same environment parameters and timing as the
// Rust loop (src/main.rs): warm-up, then BENCH_ROUNDS rounds of BENCH_ITERS
// calls, median round, ns per call; BENCH_FOREIGN_TOKEN (another library's
// token) is verified as a second figure. Prints one JSON line.
//
// sign: the library's genUserSig (it reads Date.now() itself).
// verify: the library has none; this is the verifier of
// devtools/interop/ref_node.js (a script, not a module, so its steps are
// repeated here): Tencent's alphabet mapped back, Node's zlib and JSON, the
// library's own Api.prototype._hmacsha256, a constant-time comparison.
'use strict';
const path = require('path');
const crypto = require('crypto');
const zlib = require('zlib');

const libDir = process.env.TLS_SIG_NODE_DIR
  || path.join(__dirname, '..', '..', '..', '.local', 'node', 'node_modules');
const TLSSigAPIv2 = require(path.join(libDir, 'tls-sig-api-v2'));

function verify(req) {
  let doc;
  try {
    const standard = req.token.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
    if (!/^[A-Za-z0-9+/]*=*$/.test(standard)) throw new Error('not base64');
    doc = JSON.parse(zlib.inflateSync(Buffer.from(standard, 'base64')).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'malformed' };
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
    return { ok: false, reason: 'malformed' };
  }
  if (doc['TLS.ver'] !== '2.0') return { ok: false, reason: 'version' };
  if (claims.sdkappid !== req.sdkappid) return { ok: false, reason: 'sdkappid' };
  if (claims.identifier !== req.identifier) return { ok: false, reason: 'identifier' };
  const api = new TLSSigAPIv2.Api(req.sdkappid, req.key);
  const userbuf = doc['TLS.userbuf'] == null ? null : doc['TLS.userbuf'];
  const expected = Buffer.from(api._hmacsha256(claims.identifier, claims.time, claims.expire, userbuf));
  const given = Buffer.from(doc['TLS.sig']);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'signature' };
  }
  if (req.now > claims.time + claims.expire) return { ok: false, reason: 'expired' };
  return { ok: true, reason: null, claims };
}

let sink = 0;
function measure(op, warmup, iters, rounds) {
  for (let i = 0; i < warmup; i++) sink ^= op().length | 0;
  const perOp = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) sink ^= op().length | 0;
    perOp.push(Number(process.hrtime.bigint() - start) / iters);
  }
  perOp.sort((a, b) => a - b);
  return perOp[Math.floor(perOp.length / 2)];
}

function main() {
  const env = process.env;
  const sdkappid = Number(env.BENCH_SDKAPPID);
  const key = env.BENCH_KEY;
  const identifier = env.BENCH_IDENTIFIER;
  const expire = Number(env.BENCH_EXPIRE);
  const warmup = Number(env.BENCH_WARMUP);
  const iters = Math.max(1, Number(env.BENCH_ITERS));
  const rounds = Math.max(1, Number(env.BENCH_ROUNDS));

  const api = new TLSSigAPIv2.Api(sdkappid, key);
  const token = api.genUserSig(identifier, expire);
  const req = { sdkappid, key, identifier, token, now: Math.floor(Date.now() / 1000) };
  if (!verify(req).ok) throw new Error("the library's own token does not verify");

  const signNs = measure(() => api.genUserSig(identifier, expire), warmup, iters, rounds);
  // `.reason` is null on success: take a string's length so the result is used.
  const verifyNs = measure(() => String(verify(req).reason), warmup, iters, rounds);
  const answer = {
    impl: 'node', sign_ns: Math.round(signNs * 10) / 10, verify_ns: Math.round(verifyNs * 10) / 10,
    token_len: token.length,
  };
  if (env.BENCH_FOREIGN_TOKEN) {
    const foreign = { ...req, token: env.BENCH_FOREIGN_TOKEN };
    if (!verify(foreign).ok) throw new Error('BENCH_FOREIGN_TOKEN does not verify');
    answer.verify_foreign_ns = Math.round(measure(() => String(verify(foreign).reason), warmup, iters, rounds) * 10) / 10;
  }
  answer.sink = sink;
  process.stdout.write(JSON.stringify(answer) + '\n');
}

main();
