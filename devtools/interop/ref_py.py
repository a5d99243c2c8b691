#!/usr/bin/env python3
"""Tencent's Python reference library (PyPI tls-sig-api-v2, module TLSSigAPIv2)
behind a JSON-lines protocol, for devtools/interop/interop.py.

One request per stdin line, one answer per stdout line:
  {"op": "gen", "sdkappid", "key", "identifier", "expire", "time", "userbuf_hex"?}
      -> {"token": ...}                       (the library's gen_sig / gen_sig_with_userbuf)
  {"op": "verify", "sdkappid", "key", "identifier", "token", "now"}
      -> {"ok": bool, "reason": str|null, "claims": {...}|null}

The library has no verify function. Verification here is ours, built from the
library's own pieces: its base64_decode_url (Tencent's alphabet) and its
(private) HMAC routine TLSSigAPIv2.__hmacsha256, which builds the content
lines and signs them. zlib/json are the standard library; the order of checks
and the constant-time comparison are this script's.
"""
import hmac
import json
import sys
import types
import zlib

import TLSSigAPIv2 as reference


def gen(req):
    api = reference.TLSSigAPIv2(req["sdkappid"], req["key"])
    # The library reads the clock itself (time.time()); give it a fixed one
    # without touching the process-wide time module.
    fixed = float(req["time"])
    reference.time = types.SimpleNamespace(time=lambda: fixed)
    if req.get("userbuf_hex") is not None:
        token = api.gen_sig_with_userbuf(req["identifier"], req["expire"], bytes.fromhex(req["userbuf_hex"]))
    else:
        token = api.gen_sig(req["identifier"], req["expire"])
    return {"token": token}


def verify(req):
    try:
        raw = reference.base64_decode_url(req["token"].encode("ascii"))  # library code
        doc = json.loads(zlib.decompress(raw).decode("utf-8"))
    except Exception as err:  # noqa: BLE001 - any decoding failure is "malformed"
        return {"ok": False, "reason": "malformed", "detail": type(err).__name__, "claims": None}
    try:
        ver, identifier = doc["TLS.ver"], doc["TLS.identifier"]
        sdkappid, time_, expire = int(doc["TLS.sdkappid"]), int(doc["TLS.time"]), int(doc["TLS.expire"])
        sig, userbuf = doc["TLS.sig"], doc.get("TLS.userbuf")
    except (KeyError, TypeError, ValueError) as err:
        return {"ok": False, "reason": "malformed", "detail": repr(err), "claims": None}
    claims = {"identifier": identifier, "sdkappid": sdkappid, "time": time_, "expire": expire}
    if ver != "2.0":
        return {"ok": False, "reason": "version", "claims": claims}
    if sdkappid != req["sdkappid"]:
        return {"ok": False, "reason": "sdkappid", "claims": claims}
    if identifier != req["identifier"]:
        return {"ok": False, "reason": "identifier", "claims": claims}
    api = reference.TLSSigAPIv2(req["sdkappid"], req["key"])
    # Name-mangled private method of the library: content lines + HMAC-SHA256 + base64.
    expected = api._TLSSigAPIv2__hmacsha256(identifier, time_, expire, userbuf).decode("ascii")
    if not hmac.compare_digest(expected.encode("ascii"), str(sig).encode("utf-8")):
        return {"ok": False, "reason": "signature", "claims": claims}
    if req["now"] > time_ + expire:
        return {"ok": False, "reason": "expired", "claims": claims}
    return {"ok": True, "reason": None, "claims": claims}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        answer = {"gen": gen, "verify": verify}[req["op"]](req)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
