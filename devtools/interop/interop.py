#!/usr/bin/env python3
"""UserSig interop between our `usersig` tool and Tencent's reference
libraries, both ways. Started by run.sh; standard library only.

For each reference library (a helper process speaking JSON lines, see
ref_py.py / ref_node.js):
  reference -> usersig: the library signs (many identifiers incl. Unicode,
      several expiries, keys, userbuf variants); `usersig verify` must accept
      each with the same claims, accept at the last second, report `expired`
      one second later, and name the right reason for tampered tokens.
  usersig -> reference: `usersig gen` signs the same cases; the library-based
      verifier must accept each with the same claims and refuse tampered ones.

Prints `interop: N passed, M failed` last; exit status 1 on any failure.
"""
import argparse
import base64
import json
import os
import random
import subprocess
import sys
import zlib

SDKAPPID = 1400000000
TIME = 1700000000
KEYS = [
    "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e",
    # Not hex, not ASCII: the HMAC key is the text's UTF-8 bytes everywhere.
    "ключ-🔑-not-hex",
]
EXPIRES = [0, 1, 86400, 15552000, 10 * 365 * 86400]
IDENTIFIERS = [
    "admin",
    "administrator",
    "ops-admin_01",
    "user@example.com",
    "管理员",
    "管理員テスト한국어",
    "😀🚀",
    "👩‍👩‍👧 family",
    "مرحبا بالعالم",
    "שלום",
    'say "hi"',
    "it's",
    "<script>alert(1)</script>",
    "back\\slash",
    "a&b=c?d#e%20",
    " spaced ",
    "tab\there",
    "-leading-dash",
    "ñandú 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]
# Characters random identifiers are drawn from: ASCII, escapes-prone
# punctuation, CJK, RTL, emoji (astral plane), combining marks.
ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "_-.@ <>&'\"\\/+=*~"
    "管理员用户テスト한국"
    "مرحباשלום"
    "😀🚀🔑👍🏽"
    "e\u0301\u200f\u00e9ß"
)


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = []
        self.by_direction = {}

    def check(self, direction, ok, what):
        counts = self.by_direction.setdefault(direction, [0, 0])
        if ok:
            self.passed += 1
            counts[0] += 1
        else:
            self.failed.append(f"{direction}: {what}")
            counts[1] += 1
            print(f"FAIL {direction}: {what}", file=sys.stderr)


class Helper:
    """A reference-library helper process (JSON lines in, JSON lines out)."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )

    def call(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"helper {self.proc.args} exited (status {self.proc.poll()})")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Usersig:
    """Our `usersig` binary."""

    def __init__(self, path):
        self.path = path

    def run(self, args, key, stdin=""):
        env = {k: v for k, v in os.environ.items() if k != "TIM_KEY"}
        env["TIM_KEY"] = key
        return subprocess.run(
            [self.path, *args], input=stdin, env=env, capture_output=True, text=True, encoding="utf-8"
        )

    def gen(self, key, identifier, expire, time):
        # `--identifier=VALUE` so identifiers starting with '-' stay values.
        done = self.run(
            ["gen", f"--sdkappid={SDKAPPID}", f"--identifier={identifier}", f"--expire={expire}", f"--time={time}"],
            key,
        )
        if done.returncode != 0:
            raise RuntimeError(f"usersig gen failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout.strip()

    def verify(self, token, key, identifier, now, sdkappid=SDKAPPID):
        return self.run(
            ["verify", f"--sdkappid={sdkappid}", f"--identifier={identifier}", f"--now={now}"], key, token + "\n"
        )


# Token surgery for the tamper checks (this script's code, not a library's).
def token_to_doc(token):
    raw = base64.b64decode(token.replace("*", "+").replace("-", "/").replace("_", "="))
    return json.loads(zlib.decompress(raw))


def doc_to_token(doc):
    raw = zlib.compress(json.dumps(doc).encode("utf-8"))
    return base64.b64encode(raw).decode().replace("+", "*").replace("/", "-").replace("=", "_")


def edited(token, **members):
    doc = token_to_doc(token)
    for name, value in members.items():
        doc["TLS." + name] = value
    return doc_to_token(doc)


def flipped_sig(token):
    doc = token_to_doc(token)
    sig = doc["TLS.sig"]
    doc["TLS.sig"] = ("B" if sig[0] == "A" else "A") + sig[1:]
    return doc_to_token(doc)


def corrupted(token):
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


def cases(rng, random_count):
    """(identifier, expire, key) triples: every fixed identifier with a cycling
    expiry and key, then `random_count` random identifiers."""
    out = []
    for i, identifier in enumerate(IDENTIFIERS):
        out.append((identifier, EXPIRES[i % len(EXPIRES)], KEYS[i % len(KEYS)]))
    for i in range(random_count):
        identifier = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 24)))
        out.append((identifier, rng.choice(EXPIRES), KEYS[i % len(KEYS)]))
    return out


def claims_match(claims, identifier, expire, time=TIME):
    return (
        claims is not None
        and claims.get("identifier") == identifier
        and claims.get("sdkappid") == SDKAPPID
        and claims.get("time") == time
        and claims.get("expire") == expire
    )


def reference_to_usersig(name, helper, tool, tally, case_list, userbuf_requests):
    direction = f"{name} -> usersig"
    for identifier, expire, key in case_list:
        token = helper.call(op="gen", sdkappid=SDKAPPID, key=key, identifier=identifier, expire=expire, time=TIME)["token"]
        done = tool.verify(token, key, identifier, TIME)
        ok = done.returncode == 0 and claims_match(json.loads(done.stdout or "null"), identifier, expire)
        tally.check(direction, ok, f"verify {identifier!r} expire={expire}: exit {done.returncode} {done.stderr.strip()}")
        last = TIME + expire
        done = tool.verify(token, key, identifier, last)
        tally.check(direction, done.returncode == 0, f"{identifier!r} at its last second: exit {done.returncode}")
        done = tool.verify(token, key, identifier, last + 1)
        tally.check(
            direction,
            done.returncode == 1 and "expired" in done.stderr,
            f"{identifier!r} one second late: exit {done.returncode} {done.stderr.strip()}",
        )

    for label, extra in userbuf_requests:
        key = KEYS[0]
        token = helper.call(op="gen", sdkappid=SDKAPPID, key=key, identifier="xiaojun", expire=86400, time=TIME, **extra)["token"]
        done = tool.verify(token, key, "xiaojun", TIME)
        claims = json.loads(done.stdout or "null")
        ok = done.returncode == 0 and claims_match(claims, "xiaojun", 86400) and claims.get("userbuf") is not None
        if ok and "userbuf_hex" in extra:
            ok = base64.b64decode(claims["userbuf"]) == bytes.fromhex(extra["userbuf_hex"])
        tally.check(direction, ok, f"userbuf token ({label}): exit {done.returncode} {done.stderr.strip()}")
        userbuf = token_to_doc(token)["TLS.userbuf"]
        other = base64.b64encode(base64.b64decode(userbuf) + b"x").decode()
        done = tool.verify(edited(token, userbuf=other), key, "xiaojun", TIME)
        tally.check(direction, done.returncode == 1 and "signature" in done.stderr, f"tampered userbuf ({label}): {done.stderr.strip()}")

    key = KEYS[0]
    token = helper.call(op="gen", sdkappid=SDKAPPID, key=key, identifier="admin", expire=86400, time=TIME)["token"]
    for label, bad, expect_id, expect_key, expect_app, reason in [
        ("identifier changed", edited(token, identifier="root"), "root", key, SDKAPPID, "signature"),
        ("identifier changed, original expected", edited(token, identifier="root"), "admin", key, SDKAPPID, "identifier"),
        ("sdkappid changed", edited(token, sdkappid=SDKAPPID + 1), "admin", key, SDKAPPID + 1, "signature"),
        ("time moved", edited(token, time=TIME + 3600), "admin", key, SDKAPPID, "signature"),
        ("expire extended", edited(token, expire=86400 * 3650), "admin", key, SDKAPPID, "signature"),
        ("sig flipped", flipped_sig(token), "admin", key, SDKAPPID, "signature"),
        ("version changed", edited(token, ver="1.0"), "admin", key, SDKAPPID, "version"),
        ("wrong key", token, "admin", KEYS[1], SDKAPPID, "signature"),
        ("other sdkappid expected", token, "admin", key, SDKAPPID + 1, "sdkappid"),
        ("character corrupted", corrupted(token), "admin", key, SDKAPPID, "malformed"),
    ]:
        done = tool.verify(bad, expect_key, expect_id, TIME, sdkappid=expect_app)
        tally.check(
            direction,
            done.returncode == 1 and reason in done.stderr,
            f"tampered ({label}) should be {reason}: exit {done.returncode} {done.stderr.strip()}",
        )


def usersig_to_reference(name, helper, tool, tally, case_list):
    direction = f"usersig -> {name}"

    def ref_verify(token, key, identifier, now, sdkappid=SDKAPPID):
        return helper.call(op="verify", sdkappid=sdkappid, key=key, identifier=identifier, token=token, now=now)

    for identifier, expire, key in case_list:
        token = tool.gen(key, identifier, expire, TIME)
        answer = ref_verify(token, key, identifier, TIME)
        tally.check(
            direction,
            answer["ok"] and claims_match(answer["claims"], identifier, expire),
            f"verify {identifier!r} expire={expire}: {answer}",
        )
        answer = ref_verify(token, key, identifier, TIME + expire)
        tally.check(direction, answer["ok"], f"{identifier!r} at its last second: {answer}")
        answer = ref_verify(token, key, identifier, TIME + expire + 1)
        tally.check(direction, answer["reason"] == "expired", f"{identifier!r} one second late: {answer}")

    key = KEYS[0]
    token = tool.gen(key, "admin", 86400, TIME)
    for label, bad, expect_id, expect_key, reason in [
        ("identifier changed", edited(token, identifier="root"), "root", key, "signature"),
        ("time moved", edited(token, time=TIME + 3600), "admin", key, "signature"),
        ("expire extended", edited(token, expire=86400 * 3650), "admin", key, "signature"),
        ("sig flipped", flipped_sig(token), "admin", key, "signature"),
        ("userbuf added", edited(token, userbuf="YWJj"), "admin", key, "signature"),
        ("wrong key", token, "admin", KEYS[1], "signature"),
        ("character corrupted", corrupted(token), "admin", key, "malformed"),
    ]:
        answer = ref_verify(bad, expect_key, expect_id, TIME)
        tally.check(direction, not answer["ok"] and answer["reason"] == reason, f"tampered ({label}) should be {reason}: {answer}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--usersig", required=True, help="path of the usersig binary")
    parser.add_argument("--python", help="python with TLSSigAPIv2 installed (omit to skip the Python half)")
    parser.add_argument("--node", help="node binary (omit to skip the Node half)")
    parser.add_argument("--random", type=int, default=int(os.environ.get("INTEROP_RANDOM", "20")),
                        help="random identifiers per library (default 20, env INTEROP_RANDOM)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("INTEROP_SEED", "20231114")))
    args = parser.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    tool = Usersig(args.usersig)
    tally = Tally()
    rng = random.Random(args.seed)
    case_list = cases(rng, args.random)
    print(f"interop: {len(case_list)} identifier cases per library (seed {args.seed})")

    libraries = []
    if args.python:
        libraries.append((
            "python tls-sig-api-v2",
            [args.python, os.path.join(here, "ref_py.py")],
            [("bytes abc", {"userbuf_hex": b"abc".hex()}), ("empty", {"userbuf_hex": ""}),
             ("binary", {"userbuf_hex": bytes(range(256)).hex()})],
        ))
    if args.node:
        libraries.append((
            "node tls-sig-api-v2",
            [args.node, os.path.join(here, "ref_node.js")],
            [("genPrivateMapKey", {"roomid": 10000, "privilege": 255}),
             ("genPrivateMapKeyWithStringRoomID", {"roomstr": "1000000040", "privilege": 42})],
        ))
    if not libraries:
        print("interop: no reference library available", file=sys.stderr)
        return 1

    for name, argv, userbuf_requests in libraries:
        helper = Helper(argv)
        try:
            reference_to_usersig(name, helper, tool, tally, case_list, userbuf_requests)
            usersig_to_reference(name, helper, tool, tally, case_list)
        except Exception as err:  # a crashed helper or tool is a failure, not a traceback
            tally.check(name, False, f"aborted: {err!r}")
        finally:
            helper.close()

    for direction, (ok, bad) in tally.by_direction.items():
        print(f"  {direction}: {ok} passed, {bad} failed")
    print(f"interop: {tally.passed} passed, {len(tally.failed)} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
