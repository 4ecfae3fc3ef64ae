"""The docs publisher custom resource against moto's S3 and CloudFront, answering a real HTTP
server that stands in for CloudFormation's pre-signed response URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.docs_publisher import publisher

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "docs-bucket-test"
URL = "https://abc123.lambda-url.us-east-1.on.aws/"
CONFIG = {
    "api_base_url": URL,
    "default_model": "@cf/meta/llama-4-scout-17b-16e-instruct",
    "backup_model": "@cf/openai/gpt-oss-120b",
    "aliases": {"gpt-4o": "@cf/meta/llama-4-scout-17b-16e-instruct"},
    "key_command": "aws secretsmanager get-secret-value --secret-id arn:x --query SecretString "
    "--output text",
}


class CloudFormation(BaseHTTPRequestHandler):
    """Records each PUT to the response URL, as CloudFormation's S3 endpoint would accept it."""

    answers: list[dict[str, Any]]

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.answers.append(  # type: ignore[attr-defined]
            {
                "content_type": self.headers.get("Content-Type"),
                **json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def response_url() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = HTTPServer(("127.0.0.1", 0), CloudFormation)
    server.answers = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/response?signature=x", server.answers  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, str]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(publisher, "STATIC_DIR", ROOT / "static")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        cloudfront = boto3.client("cloudfront")
        distribution = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "docs",
                "Comment": "docs",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "docs",
                            "DomainName": f"{BUCKET}.s3.us-east-1.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "docs",
                    "ViewerProtocolPolicy": "https-only",
                },
            }
        )
        yield s3, cloudfront, distribution["Distribution"]["Id"]


def event(kind: str, response_url: str, distribution_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/gw/1",
        "RequestId": f"request-{kind}",
        "LogicalResourceId": "DocsSite",
        "ResourceType": "Custom::DocsSite",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:publisher",
            "BucketName": BUCKET,
            "DistributionId": distribution_id,
            "Config": CONFIG,
        },
        **extra,
    }


def keys(s3: Any) -> set[str]:
    return {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def invalidations(cloudfront: Any, distribution_id: str) -> int:
    listing = cloudfront.list_invalidations(DistributionId=distribution_id)
    return listing["InvalidationList"]["Quantity"]


def site_keys() -> set[str]:
    static = ROOT / "static"
    return {p.relative_to(static).as_posix() for p in static.rglob("*") if p.is_file()} - {
        "config.json"
    }


def test_create_uploads_the_site_with_types_and_caching_and_writes_config(aws, response_url):
    s3, cloudfront, distribution_id = aws
    url, answers = response_url

    publisher.handler(event("Create", url, distribution_id), None)

    assert keys(s3) == site_keys() | {"config.json"}
    index = s3.get_object(Bucket=BUCKET, Key="index.html")
    assert index["ContentType"] == "text/html; charset=utf-8"
    assert index["CacheControl"] == "no-cache"
    script = next(key for key in site_keys() if key.endswith(".js"))
    asset = s3.get_object(Bucket=BUCKET, Key=script)
    assert asset["ContentType"] == "text/javascript; charset=utf-8"
    assert asset["CacheControl"] == "public, max-age=300"
    stylesheet = next(key for key in site_keys() if key.endswith(".css"))
    assert s3.get_object(Bucket=BUCKET, Key=stylesheet)["ContentType"] == "text/css; charset=utf-8"

    config_object = s3.get_object(Bucket=BUCKET, Key="config.json")
    assert config_object["ContentType"] == "application/json; charset=utf-8"
    assert config_object["CacheControl"] == "no-cache"
    config = json.loads(config_object["Body"].read())
    assert config == {**CONFIG, "api_base_url": URL.rstrip("/")}

    assert invalidations(cloudfront, distribution_id) == 0
    (answer,) = answers
    assert answer["Status"] == "SUCCESS"
    assert answer["content_type"] == ""
    assert answer["PhysicalResourceId"] == f"docs-site-{BUCKET}"
    assert answer["RequestId"] == "request-Create"
    assert answer["LogicalResourceId"] == "DocsSite"
    assert answer["Data"] == {"Files": len(site_keys()) + 1}


def test_update_removes_stale_files_and_invalidates_cloudfront(aws, response_url):
    s3, cloudfront, distribution_id = aws
    url, answers = response_url
    s3.put_object(Bucket=BUCKET, Key="assets/old.js", Body=b"gone")

    update = event("Update", url, distribution_id, PhysicalResourceId=f"docs-site-{BUCKET}")
    publisher.handler(update, None)

    assert keys(s3) == site_keys() | {"config.json"}
    assert invalidations(cloudfront, distribution_id) == 1
    (answer,) = answers
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == f"docs-site-{BUCKET}"
    assert answer["Data"]["InvalidationId"]


def test_delete_empties_the_bucket_so_the_stack_can_delete_it(aws, response_url):
    s3, _, distribution_id = aws
    url, answers = response_url
    publisher.handler(event("Create", url, distribution_id), None)

    delete = event("Delete", url, distribution_id, PhysicalResourceId=f"docs-site-{BUCKET}")
    publisher.handler(delete, None)

    assert keys(s3) == set()
    assert [answer["Status"] for answer in answers] == ["SUCCESS", "SUCCESS"]
    s3.delete_bucket(Bucket=BUCKET)  # what CloudFormation does next, and it succeeds


def test_delete_also_empties_the_images_bucket(aws, response_url):
    s3, _, distribution_id = aws
    url, answers = response_url
    s3.create_bucket(Bucket="images")
    s3.put_object(Bucket="images", Key="images/a.png", Body=b"png")
    delete = event("Delete", url, distribution_id, PhysicalResourceId=f"docs-site-{BUCKET}")
    delete["ResourceProperties"]["EmptyOnDelete"] = ["images", "gone-already"]

    publisher.handler(delete, None)

    assert [answer["Status"] for answer in answers] == ["SUCCESS"]
    assert s3.list_objects_v2(Bucket="images").get("Contents") is None
    s3.delete_bucket(Bucket="images")


def test_delete_of_a_bucket_already_gone_still_succeeds(aws, response_url):
    s3, _, distribution_id = aws
    url, answers = response_url
    s3.delete_bucket(Bucket=BUCKET)

    publisher.handler(event("Delete", url, distribution_id, PhysicalResourceId="docs"), None)

    assert [answer["Status"] for answer in answers] == ["SUCCESS"]


def test_a_failure_is_reported_to_cloudformation_instead_of_hanging(aws, response_url):
    s3, _, distribution_id = aws
    url, answers = response_url
    s3.delete_bucket(Bucket=BUCKET)

    publisher.handler(event("Create", url, distribution_id), None)

    (answer,) = answers
    assert answer["Status"] == "FAILED"
    assert "NoSuchBucket" in answer["Reason"]
    assert answer["PhysicalResourceId"] == f"docs-site-{BUCKET}"


def test_a_malformed_request_is_answered_too(aws, response_url):
    _, _, distribution_id = aws
    url, answers = response_url
    broken = event("Update", url, distribution_id, PhysicalResourceId="docs")
    del broken["ResourceProperties"]["Config"]

    publisher.handler(broken, None)

    (answer,) = answers
    assert answer["Status"] == "FAILED"
    assert "Config" in answer["Reason"]
