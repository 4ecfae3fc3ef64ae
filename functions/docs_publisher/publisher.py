"""CloudFormation custom resource that publishes the docs site on every `sam deploy`.

Create/Update: upload the bundled static/ files with their Content-Type and Cache-Control, write
config.json (the API's URL, models, aliases and the key command) for the docs page, remove files
no longer in the site, and invalidate CloudFront on updates. Delete: empty the bucket (and the
buckets listed in `EmptyOnDelete`, such as the generated images'), so the stack can delete them.
CloudFormation always gets an answer, also when something fails, so a stack never waits an hour
for a timeout.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

STATIC_DIR = Path(__file__).with_name("static")
CONFIG_KEY = "config.json"
# Names that never change (the page, its config and the spec) are revalidated on every load;
# assets are short-lived because their names carry no content hash.
NO_CACHE = {"index.html", CONFIG_KEY, "openapi.json"}
ASSET_CACHE = "public, max-age=300"
TEXT_TYPES = {"text/html", "text/css", "text/javascript", "text/plain", "application/json"}
EXTRA_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".map": "application/json"}

# Bounded timeouts and retries: no call can outlive the function's own timeout.
AWS_CONFIG = Config(
    connect_timeout=5, read_timeout=30, retries={"max_attempts": 4, "mode": "standard"}
)

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def content_type(path: str) -> str:
    """The Content-Type of a site file, with a charset for text."""
    suffix = Path(path).suffix.lower()
    kind = EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind in TEXT_TYPES else kind


def cache_control(key: str) -> str:
    return "no-cache" if key in NO_CACHE else ASSET_CACHE


def site_files(root: Path) -> dict[str, Path]:
    """Bucket key -> local file, for every file of the site (config.json is generated)."""
    files = {path.relative_to(root).as_posix(): path for path in root.rglob("*") if path.is_file()}
    files.pop(CONFIG_KEY, None)
    return files


def site_config(config: dict[str, Any]) -> dict[str, Any]:
    """The docs page's config.json: the resource's Config, with the URL in its documented form."""
    return {**config, "api_base_url": str(config["api_base_url"]).rstrip("/")}


def bucket_keys(s3: Any, bucket: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"]


def delete_keys(s3: Any, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        chunk = [{"Key": key} for key in keys[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})


def publish(s3: Any, bucket: str, config: dict[str, Any]) -> list[str]:
    """Upload the site and its config.json, drop stale files; return the keys written."""
    files = site_files(STATIC_DIR)
    for key, path in sorted(files.items()):
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(key),
            CacheControl=cache_control(key),
        )
    s3.put_object(
        Bucket=bucket,
        Key=CONFIG_KEY,
        Body=json.dumps(site_config(config), indent=2).encode(),
        ContentType=content_type(CONFIG_KEY),
        CacheControl=cache_control(CONFIG_KEY),
    )
    written = [*sorted(files), CONFIG_KEY]
    delete_keys(s3, bucket, [key for key in bucket_keys(s3, bucket) if key not in set(written)])
    return written


def invalidate(cloudfront: Any, distribution_id: str, reference: str) -> str:
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": reference},
    )
    return answer["Invalidation"]["Id"]


def empty_bucket(s3: Any, bucket: str) -> None:
    try:
        delete_keys(s3, bucket, list(bucket_keys(s3, bucket)))
    except s3.exceptions.NoSuchBucket:
        logger.info("bucket %s is already gone", bucket)


def respond(event: dict[str, Any], status: str, reason: str, data: dict[str, Any]) -> None:
    """Answer CloudFormation through the pre-signed ResponseURL (what cfn-response does)."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:1000],
            "PhysicalResourceId": event.get("PhysicalResourceId")
            or f"docs-site-{event['ResourceProperties']['BucketName']}",
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "NoEcho": False,
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - CloudFormation's own https URL
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        logger.info("CloudFormation answered %s", answer.status)


def handle(event: dict[str, Any], s3: Any, cloudfront: Any) -> dict[str, Any]:
    """Do what the request asks; return the resource's attributes."""
    properties = event["ResourceProperties"]
    bucket = properties["BucketName"]
    if event["RequestType"] == "Delete":
        for name in (bucket, *properties.get("EmptyOnDelete", [])):
            empty_bucket(s3, name)
        return {}
    written = publish(s3, bucket, properties["Config"])
    data: dict[str, Any] = {"Files": len(written)}
    if event["RequestType"] == "Update":
        distribution = properties["DistributionId"]
        data["InvalidationId"] = invalidate(cloudfront, distribution, event["RequestId"])
    return data


def handler(event: dict[str, Any], context: Any) -> None:
    logger.info("%s %s", event.get("RequestType"), event.get("LogicalResourceId"))
    try:
        s3 = boto3.client("s3", config=AWS_CONFIG)
        cloudfront = boto3.client("cloudfront", config=AWS_CONFIG)
        data = handle(event, s3, cloudfront)
    except Exception as error:
        logger.exception("publishing failed")
        respond(event, "FAILED", f"{type(error).__name__}: {error}", {})
    else:
        respond(event, "SUCCESS", "ok", data)
