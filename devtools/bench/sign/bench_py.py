#!/usr/bin/env python3
"""Tencent's Python reference (PyPI tls-sig-api-v2, module TLSSigAPIv2) in a
steady loop, for devtools/bench/sign/run.sh. Same environment parameters and
timing as the Rust loop (src/main.rs): warm-up, then BENCH_ROUNDS rounds of
BENCH_ITERS calls, median round, ns per call. Prints one JSON line.

sign: the library's gen_sig (it reads the clock itself).
verify: the library has none; devtools/interop/ref_py.py's verify (built from
the library's own base64 and HMAC routines) is the reference verifier.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "interop"))
import TLSSigAPIv2 as reference  # noqa: E402
import ref_py  # noqa: E402


def measure(op, warmup, iters, rounds):
    for _ in range(warmup):
        op()
    per_op = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(iters):
            op()
        per_op.append((time.perf_counter_ns() - start) / iters)
    per_op.sort()
    return per_op[len(per_op) // 2]


def main():
    env = os.environ
    sdkappid, key = int(env["BENCH_SDKAPPID"]), env["BENCH_KEY"]
    identifier, expire = env["BENCH_IDENTIFIER"], int(env["BENCH_EXPIRE"])
    warmup, iters, rounds = int(env["BENCH_WARMUP"]), max(1, int(env["BENCH_ITERS"])), max(1, int(env["BENCH_ROUNDS"]))

    api = reference.TLSSigAPIv2(sdkappid, key)
    token = api.gen_sig(identifier, expire)
    req = {"sdkappid": sdkappid, "key": key, "identifier": identifier, "token": token, "now": int(time.time())}
    if not ref_py.verify(req)["ok"]:
        sys.exit("bench_py: the library's own token does not verify")

    sign_ns = measure(lambda: api.gen_sig(identifier, expire), warmup, iters, rounds)
    verify_ns = measure(lambda: ref_py.verify(req), warmup, iters, rounds)
    print(json.dumps({"impl": "python", "sign_ns": round(sign_ns, 1), "verify_ns": round(verify_ns, 1),
                      "token_len": len(token), "token": token}))


if __name__ == "__main__":
    main()
