"""What every part of the local run's helper shares: the check counter, the
AWS clients (moto, through the environment) and reading an invoke's answer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3


class CheckFailed(Exception):
    """A check did not hold; the message says what and where."""


def passed(what: str) -> None:
    """Counts one passed check: a line in the file named by LOCAL_RUN_CHECKS."""
    checks = os.environ.get("LOCAL_RUN_CHECKS")
    if checks:
        with open(checks, "a", encoding="utf-8") as f:
            f.write(what + "\n")


def check(condition: bool, what: str, otherwise: str) -> None:
    if not condition:
        raise CheckFailed(otherwise)
    passed(what)


def client(service: str):
    return boto3.client(service)


def s3_client():
    from botocore.config import Config

    return boto3.client("s3", config=Config(s3={"addressing_style": "path"}))


def list_objects(s3, bucket: str) -> dict[str, dict]:
    """Every object of the bucket: key -> {"etag", "modified"}."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            found[o["Key"]] = {"etag": o["ETag"], "modified": o["LastModified"].isoformat()}
    return found


def json_lines(body: str, where: str) -> list[dict]:
    try:
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    except ValueError:
        raise CheckFailed(f"{where}: not JSON Lines: {body[:200]}") from None


def load_invoke_output(path: str, what: str):
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:
        raise CheckFailed(f"{what}: cargo lambda invoke printed nothing")
    try:
        return json.loads(text)
    except ValueError:
        raise CheckFailed(f"{what}: the response is not JSON: {text[:300]}") from None


def sh_quote(text: str) -> str:
    return "'" + str(text).replace("'", "'\\''") + "'"


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def truncate_lines(text: str, max_lines: int) -> str:
    lines = text.splitlines()
    if len(lines) <= max_lines:
        return text
    keep = lines[:max_lines]
    keep.append(f"... ({len(lines) - max_lines} more lines)")
    return "\n".join(keep)


def parse_apps(text: str) -> list[int]:
    """`1400000000,1400000001` -> [1400000000, 1400000001]."""
    return [int(part) for part in text.split(",") if part.strip()]
