"""The demo resources in moto_server, as the stack creates them per app: the
key secret `tencent-chat/<id>/key` and the UserSig secret
`tencent-chat/<id>/usersig`, both tagged `tim:sdkappid`, the UserSig secret
also `tim:key-secret` (the key secret's ARN: a label for people; usersig-refresher
takes each secret's key secret from its TIM_ROTATION_TARGET_<id> pair alone), and the archive bucket."""

from __future__ import annotations

import io
import json
import os
import urllib.request
import zipfile

from common import check, client, passed, s3_client

TAG_SDKAPPID = "tim:sdkappid"
TAG_KEY_SECRET = "tim:key-secret"


def stub_rotation_lambda(endpoint: str, name: str) -> str:
    """A rotation function *registered* in moto, so that RotateSecret accepts
    its ARN: moto cannot run ours, and with Lambda's docker mode off it only
    records the call. The real steps are then invoked through cargo lambda."""
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    role = client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }],
        }),
    )["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n# placeholder: the real function runs in cargo lambda watch\n")
    return client("lambda").create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=role,
        Handler="bootstrap",
        Code={"ZipFile": archive.getvalue()},
    )["FunctionArn"]


def tags_of(described: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in described.get("Tags") or []}


def cmd_setup(args) -> None:
    s3 = s3_client()
    sm = client("secretsmanager")
    s3.create_bucket(Bucket=args.bucket)
    check(any(b["Name"] == args.bucket for b in s3.list_buckets()["Buckets"]),
          "bucket created", f"bucket {args.bucket} not listed after CreateBucket")
    print(f"  bucket          s3://{args.bucket}")

    rotation_arn = stub_rotation_lambda(os.environ["AWS_ENDPOINT_URL"], "usersig-refresher")
    for spec in args.app:
        sdkappid, token, key = spec.split(",", 2)
        create_app(sm, args, int(sdkappid), token, key, rotation_arn)


def create_app(sm, args, sdkappid: int, token: str, key: str, rotation_arn: str) -> None:
    key_id = args.key_secret_format.format(id=sdkappid)
    usersig_id = args.usersig_secret_format.format(id=sdkappid)
    key_arn = sm.create_secret(
        Name=key_id,
        Description=f"Tencent Chat app key of {sdkappid} (local demo value)",
        SecretString=json.dumps({"sdkappid": sdkappid, "identifier": args.identifier,
                                 "key": key, "region": args.region}),
        Tags=[{"Key": TAG_SDKAPPID, "Value": str(sdkappid)}],
    )["ARN"]
    passed(f"{sdkappid}: key secret created")

    # The deployed stack creates this secret empty and its first RotateSecret
    # creates the pending version. moto's RotateSecret creates that version
    # only if the secret already has one, so here it starts with a placeholder
    # (which also shows AWSCURRENT moving and AWSPREVIOUS following).
    sm.create_secret(
        Name=usersig_id,
        Description=f"Tencent Chat admin UserSig of {sdkappid} (written by usersig-refresher)",
        SecretString=json.dumps({"placeholder": "replaced by the first rotation"}),
        Tags=[{"Key": TAG_SDKAPPID, "Value": str(sdkappid)},
              {"Key": TAG_KEY_SECRET, "Value": key_arn}],
    )
    # RotateSecret is what marks rotation enabled and stages the token as
    # AWSPENDING (a version with no value yet), exactly the state Secrets
    # Manager leaves before it calls createSecret.
    sm.rotate_secret(
        SecretId=usersig_id,
        ClientRequestToken=token,
        RotationLambdaARN=rotation_arn,
        RotationRules={"AutomaticallyAfterDays": 7},
        RotateImmediately=True,
    )
    described = sm.describe_secret(SecretId=usersig_id)
    stages = described.get("VersionIdsToStages", {})
    tags = tags_of(described)
    check(tags.get(TAG_KEY_SECRET) == key_arn and tags.get(TAG_SDKAPPID) == str(sdkappid),
          f"{sdkappid}: UserSig secret tagged with its app and key secret",
          f"{usersig_id}: tags {tags}, expected {TAG_SDKAPPID}={sdkappid} and {TAG_KEY_SECRET}={key_arn}")
    check(described.get("RotationEnabled") is True, f"{sdkappid}: rotation enabled",
          f"{usersig_id}: RotationEnabled is not true after RotateSecret")
    check(
        stages.get(token) == ["AWSPENDING"]
        and any("AWSCURRENT" in s for v, s in stages.items() if v != token),
        f"{sdkappid}: token staged AWSPENDING, placeholder AWSCURRENT",
        f"{usersig_id}: unexpected staging after RotateSecret: {stages}",
    )
    print(f"  app {sdkappid}  key secret {key_id} (identifier {args.identifier}, region {args.region}, demo key)")
    print(f"                  UserSig secret {usersig_id}: tags {TAG_SDKAPPID}={sdkappid},"
          f" {TAG_KEY_SECRET}=<ARN of {key_id}>;")
    print(f"                  placeholder AWSCURRENT, rotation on, token {token} AWSPENDING")
