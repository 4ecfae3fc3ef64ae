"""template.yaml as CloudFormation will see it: SAM's own translator turns it into the deployed
resources (offline, in the SAM CLI virtualenv), and each property the deployment promises is
asserted on that output, together with the routes `sam local start-api` would serve."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import FakeClock, create_tables, utc
from moto.core.botocore_stubber import BotocoreStubber

from gateway.apis.site.routes import CONTENT_SECURITY_POLICY, HSTS, KEY_COMMAND, SECURITY_HEADERS
from gateway.core.keys import open_key_store

ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"

pytestmark = [
    pytest.mark.sam,
    pytest.mark.skipif(not SAM_PYTHON.exists(), reason="needs .venv-sam: run `make test`"),
]


def sam_offline(command: str) -> Any:
    result = subprocess.run(
        [str(SAM_PYTHON), str(ROOT / "scripts" / "sam_offline.py"), command],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return sam_offline("translate")


def resources_of(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in cfn["Resources"].items()
        if resource["Type"] == kind
    }


def only(cfn: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = resources_of(cfn, kind)
    assert len(found) == 1, f"{kind}: {sorted(found)}"
    return next(iter(found.items()))


def gateway(cfn: dict[str, Any]) -> dict[str, Any]:
    return cfn["Resources"]["GatewayFunction"]["Properties"]


def test_gateway_runs_run_sh_under_the_web_adapter_on_a_current_python(cfn):
    function = gateway(cfn)
    assert function.get("PackageType", "Zip") == "Zip"
    assert function["Handler"] == "run.sh"
    runtime = function["Runtime"]
    assert runtime.startswith("python3.")
    assert int(runtime.removeprefix("python3.")) >= 12
    env = function["Environment"]["Variables"]
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/health"
    run_sh = (ROOT / "functions" / "gateway" / "run.sh").read_text()
    assert "python3 -m gateway " in run_sh
    assert '--port "${AWS_LWA_PORT:-8080}"' in run_sh
    assert env["AWS_LWA_PORT"] == "8080"


def test_web_adapter_layer_version_is_a_parameter_and_arm64_is_the_default(cfn):
    params = cfn["Parameters"]
    assert params["Architecture"]["Default"] == "arm64"
    assert set(params["Architecture"]["AllowedValues"]) == {"arm64", "x86_64"}
    assert int(params["LambdaWebAdapterLayerVersion"]["Default"]) >= 26
    function = gateway(cfn)
    assert function["Architectures"] == [{"Ref": "Architecture"}]
    adapter = function["Layers"][0]["Fn::If"]
    assert adapter[0] == "IsArm64"
    arm, x86 = adapter[1]["Fn::Sub"], adapter[2]["Fn::Sub"]
    assert arm.endswith(
        ":753240598075:layer:LambdaAdapterLayerArm64:${LambdaWebAdapterLayerVersion}"
    )
    assert x86.endswith(":753240598075:layer:LambdaAdapterLayerX86:${LambdaWebAdapterLayerVersion}")


def test_secrets_extension_layer_is_a_parameter_and_the_secrets_are_readable(cfn):
    """The gateway reads its secrets through the Parameters and Secrets Lambda Extension (no
    boto3 in its process): the layer is a parameter, and the role may read both secrets."""
    param = cfn["Parameters"]["SecretsExtensionLayerArn"]
    assert ":layer:AWS-Parameters-and-Secrets-Lambda-Extension" in param["Default"]
    function = gateway(cfn)
    assert {"Ref": "SecretsExtensionLayerArn"} in function["Layers"]
    env = function["Environment"]["Variables"]
    assert {"API_KEYS_SECRET_ARN", "CLOUDFLARE_SECRET_ARN"} <= set(env)
    policies = json.dumps(cfn["Resources"]["GatewayFunctionRole"]["Properties"]["Policies"])
    assert "secretsmanager:GetSecretValue" in policies


def test_function_url_streams_without_iam_auth_and_without_its_own_cors(cfn):
    _, url = only(cfn, "AWS::Lambda::Url")
    assert url["AuthType"] == "NONE"
    assert url["InvokeMode"] == "RESPONSE_STREAM"
    assert url["TargetFunctionArn"] == {"Ref": "GatewayFunction"}
    # The app answers CORS; a Cors block on the URL would override its headers.
    assert "Cors" not in url


def test_timeout_memory_concurrency_logs_and_tracing(cfn):
    function = gateway(cfn)
    assert function["Timeout"] > 300  # the app's own request deadline is 300 s
    assert function["MemorySize"] == {"Ref": "MemorySize"}
    assert int(cfn["Parameters"]["MemorySize"]["Default"]) >= 512
    assert function["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "ReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    # Behind a public URL the default is a finite ceiling; 0 (no reservation) is an opt-out.
    assert 0 < int(cfn["Parameters"]["ReservedConcurrency"]["Default"]) <= 100
    assert function["TracingConfig"] == {"Mode": {"Ref": "TracingMode"}}
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "GatewayLogGroup"}
    log_group = cfn["Resources"]["GatewayLogGroup"]["Properties"]
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_dependencies_come_from_a_layer_built_for_both_architectures(cfn):
    name, layer = only(cfn, "AWS::Lambda::LayerVersion")
    assert {"Ref": name} in gateway(cfn)["Layers"]
    assert set(layer["CompatibleArchitectures"]) == {"arm64", "x86_64"}
    assert gateway(cfn)["Runtime"] in layer["CompatibleRuntimes"]


BUILT_LAYER = ROOT / ".aws-sam" / "build" / "DependenciesLayer" / "python"


@pytest.mark.skipif(not BUILT_LAYER.exists(), reason="needs `sam build` (make sam-build)")
def test_built_layer_holds_both_architectures_and_no_boto3():
    binaries = {path.name for path in BUILT_LAYER.glob("pydantic_core/_pydantic_core.*.so")}
    assert any("aarch64-linux-gnu" in name for name in binaries), binaries
    assert any("x86_64-linux-gnu" in name for name in binaries), binaries
    assert any(BUILT_LAYER.glob("uvicorn/*.py"))
    assert not list(BUILT_LAYER.glob("fastapi*")), "no web framework ships"
    assert not list(BUILT_LAYER.glob("boto*"))


BUILT_GATEWAY = ROOT / ".aws-sam" / "build" / "GatewayFunction"


@pytest.mark.skipif(not BUILT_GATEWAY.exists(), reason="needs `sam build` (make sam-build)")
def test_built_function_is_the_app_and_the_docs_site_without_dependencies():
    """The Function URL serves /, /openapi.json and /assets as well; libraries are the layer's."""
    assert (BUILT_GATEWAY / "run.sh").stat().st_mode & 0o111
    assert (BUILT_GATEWAY / "gateway" / "app.py").is_file()
    assert (BUILT_GATEWAY / "static" / "index.html").is_file()
    spec = json.loads((BUILT_GATEWAY / "static" / "openapi.json").read_text())
    assert "/v1/chat/completions" in spec["paths"]
    assert not (BUILT_GATEWAY / "static" / "config.json").exists()
    assert not list(BUILT_GATEWAY.glob("uvicorn*"))


def test_environment_names_the_secrets_and_settings_not_their_values(cfn):
    env = gateway(cfn)["Environment"]["Variables"]
    assert env["API_KEYS_SECRET_ARN"] == {"Ref": "ApiKeysSecret"}
    assert env["CLOUDFLARE_SECRET_ARN"] == {"Ref": "CloudflareSecret"}
    assert env["WORKERS_AI_BASE_URL"] == {
        "Fn::If": ["HasUpstreamBaseUrl", {"Ref": "UpstreamBaseUrl"}, {"Ref": "AWS::NoValue"}]
    }
    assert env["DEFAULT_MODEL"] == {"Ref": "DefaultModel"}
    assert env["BACKUP_MODEL"] == {"Ref": "BackupModel"}
    assert env["CORS_ALLOW_ORIGINS"] == {"Ref": "AllowedOrigins"}
    assert env["LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert env["STACK_NAME"] == {"Ref": "AWS::StackName"}
    assert env["KEYS_TABLE"] == {"Ref": "KeysTable"}
    assert env["USAGE_TABLE"] == {"Ref": "UsageTable"}
    assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"} <= set(env)
    text = json.dumps(env)
    for secret in ("CloudflareApiToken", "CloudflareAccountId", "CloudflareAiGatewayToken"):
        assert secret not in text


def test_keys_secret_is_generated_json_and_cloudflare_secret_comes_from_noecho_parameters(cfn):
    keys = cfn["Resources"]["ApiKeysSecret"]["Properties"]["GenerateSecretString"]
    assert json.loads(keys["SecretStringTemplate"]) == {}
    assert keys["GenerateStringKey"] == "key"
    assert keys["PasswordLength"] >= 32
    cloudflare = cfn["Resources"]["CloudflareSecret"]["Properties"]["SecretString"]["Fn::Sub"]
    assert json.loads(cloudflare) == {
        "account_id": "${CloudflareAccountId}",
        "api_token": "${CloudflareApiToken}",
        "ai_gateway_token": "${CloudflareAiGatewayToken}",  # optional: "" is none
    }
    for name in ("CloudflareApiToken", "CloudflareAccountId", "CloudflareAiGatewayToken"):
        assert cfn["Parameters"][name]["NoEcho"] is True
    # What goes into the JSON text above cannot break out of its string.
    assert cfn["Parameters"]["CloudflareAiGatewayToken"]["AllowedPattern"] == "^[A-Za-z0-9_-]*$"


def statements_of(cfn: dict[str, Any], role: str) -> list[dict[str, Any]]:
    properties = cfn["Resources"][role]["Properties"]
    return [
        statement
        for policy in properties.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def test_gateway_role_reads_the_two_secrets_and_uses_only_its_tables_and_bucket(cfn):
    statements = statements_of(cfn, "GatewayFunctionRole")
    assert statements == [
        {
            "Sid": "ReadTheTwoSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": [{"Ref": "ApiKeysSecret"}, {"Ref": "CloudflareSecret"}],
        },
        {
            "Sid": "StoreResponsesInItsTable",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            "Resource": {"Fn::GetAtt": ["ResponsesTable", "Arn"]},
        },
        {
            "Sid": "PutAndGetGeneratedImages",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": {"Fn::Sub": "${ImagesBucket.Arn}/images/*"},
        },
        {
            "Sid": "ManageNamedKeys",
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:Scan",
                "dynamodb:PutItem",
                "dynamodb:DeleteItem",
            ],
            "Resource": {"Fn::GetAtt": ["KeysTable", "Arn"]},
        },
        {
            "Sid": "CountLimitsAndUsage",
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:UpdateItem",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
            ],
            "Resource": {"Fn::GetAtt": ["UsageTable", "Arn"]},
        },
    ]
    managed = cfn["Resources"]["GatewayFunctionRole"]["Properties"]["ManagedPolicyArns"]
    names = sorted(arn.rsplit("/", 1)[-1] for arn in managed)
    assert names == ["AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"]


def test_stored_responses_table_is_on_demand_with_a_ttl_and_named_to_the_gateway(cfn):
    table = cfn["Resources"]["ResponsesTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    # The attribute gateway.storage writes as the expiry, in Unix seconds.
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert cfn["Parameters"]["ResponseRetentionDays"]["Default"] == 30
    env = gateway(cfn)["Environment"]["Variables"]
    assert env["RESPONSES_TABLE"] == {"Ref": "ResponsesTable"}
    assert env["RESPONSE_RETENTION_DAYS"] == {"Ref": "ResponseRetentionDays"}


def test_named_key_tables_are_as_the_key_store_designs_them(cfn):
    keys = cfn["Resources"]["KeysTable"]["Properties"]
    assert keys["BillingMode"] == "PAY_PER_REQUEST"
    assert keys["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert keys["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert "TimeToLiveSpecification" not in keys, "expires_at of a key is its expiry, not a TTL"
    usage = cfn["Resources"]["UsageTable"]["Properties"]
    assert usage["BillingMode"] == "PAY_PER_REQUEST"
    assert usage["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert usage["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    outputs = cfn["Outputs"]
    assert outputs["KeysTableName"]["Value"] == {"Ref": "KeysTable"}
    assert outputs["UsageTableName"]["Value"] == {"Ref": "UsageTable"}


def store_calls(aws: Any, monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str]]:
    """Every (IAM action, table) the DynamoDB key store needs, found by running each of its
    operations against moto and reading the requests it sends (a transaction's writes each
    counted as the action IAM authorises them as)."""
    create_tables(aws)
    seen: set[tuple[str, str]] = set()
    process = BotocoreStubber.process_request

    def record(self: Any, request: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        action = (target.decode() if isinstance(target, bytes) else target).rsplit(".", 1)[-1]
        body = json.loads(request.body or b"{}")
        if action == "TransactWriteItems":
            for item in body["TransactItems"]:
                ((kind, write),) = item.items()
                seen.add((f"dynamodb:{kind}Item", write["TableName"]))
        elif action == "BatchGetItem":
            seen.update((f"dynamodb:{action}", table) for table in body["RequestItems"])
        else:
            seen.add((f"dynamodb:{action}", body["TableName"]))
        return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", record)

    async def everything() -> None:
        store = open_key_store(
            keys_table="gateway-keys",
            usage_table="gateway-usage",
            region="us-east-1",
            clock=FakeClock(utc("2026-12-15T12:00:00")),
        )
        minted = await store.create_key(
            {"name": "a", "rpm": 5, "tpm": 500, "monthly_token_budget": 5000}
        )
        key = await store.authenticate(minted.secret)
        await store.admit(key)
        await store.peek(key)
        assert (await store.record_usage(key, "m", input_tokens=1, output_tokens=2)).recorded
        await store.get_key(key.id)
        await store.list_keys()
        await store.update_key(key.id, {"name": "b"})
        await store.usage(date(2026, 12, 1), date(2026, 12, 31))
        await store.month_totals([key.id])
        await store.revoke_key(key.id)
        store.close()

    asyncio.run(everything())
    return seen


def test_the_gateway_may_do_exactly_what_the_key_store_does(cfn, aws, monkeypatch):
    tables = {"gateway-keys": "KeysTable", "gateway-usage": "UsageTable"}
    used = {(action, tables[table]) for action, table in store_calls(aws, monkeypatch)}
    granted = {
        (action, statement["Resource"]["Fn::GetAtt"][0])
        for statement in statements_of(cfn, "GatewayFunctionRole")
        if statement["Resource"] in [{"Fn::GetAtt": [name, "Arn"]} for name in tables.values()]
        for action in statement["Action"]
    }
    assert used == granted


def test_docs_bucket_is_private_encrypted_and_owner_enforced(cfn):
    bucket = cfn["Resources"]["DocsBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in bucket


def test_images_bucket_is_private_encrypted_and_expires_its_objects(cfn):
    bucket = cfn["Resources"]["ImagesBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (expiry,) = bucket["LifecycleConfiguration"]["Rules"]
    assert expiry["Status"] == "Enabled" and expiry["ExpirationInDays"] == 1
    assert "Prefix" not in expiry and "Filter" not in expiry, "every object expires"
    policy = cfn["Resources"]["ImagesBucketPolicy"]["Properties"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    env = gateway(cfn)["Environment"]["Variables"]
    assert env["IMAGES_BUCKET"] == {"Ref": "ImagesBucket"}
    assert env["IMAGE_MODEL"] == {"Ref": "ImageModel"}
    assert env["IMAGE_BACKUP_MODEL"] == {"Ref": "ImageBackupModel"}
    site = cfn["Resources"]["DocsSite"]["Properties"]
    assert site["EmptyOnDelete"] == [{"Ref": "ImagesBucket"}]
    publisher = statements_of(cfn, "DocsPublisherFunctionRole")
    empties = [s for s in publisher if s["Sid"] == "EmptyTheImagesBucketOnDelete"]
    assert empties and empties[0]["Action"] == ["s3:ListBucket", "s3:DeleteObject"]


def test_bucket_policy_lets_only_this_distribution_read(cfn):
    policy = cfn["Resources"]["DocsBucketPolicy"]["Properties"]
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${DocsDistribution}")


def test_cloudfront_uses_oac_https_index_and_security_headers(cfn):
    config = cfn["Resources"]["DocsDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["DocsOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = cfn["Resources"]["DocsOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "DocsSecurityHeaders"}
    assert config["DefaultRootObject"] == "index.html"
    custom = config["ViewerCertificate"]["Fn::If"][1]
    assert custom["MinimumProtocolVersion"].startswith("TLSv1.2")
    headers = cfn["Resources"]["DocsSecurityHeaders"]["Properties"]
    security = headers["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    hsts = security["StrictTransportSecurity"]
    assert f"max-age={hsts['AccessControlMaxAgeSec']}; includeSubDomains" == HSTS
    assert hsts["IncludeSubdomains"] is True
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == SECURITY_HEADERS["referrer-policy"]
    csp = directives(security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"][0])
    assert "'unsafe-inline'" not in json.dumps(csp) and "'unsafe-eval'" not in json.dumps(csp)
    # The same policy as the app's own copy of the page, except where the API is.
    app_csp = directives(CONTENT_SECURITY_POLICY)
    assert csp.pop("connect-src").startswith("'self' https://${UrlHost} ")
    assert app_csp.pop("connect-src") == "'self'"
    assert csp == app_csp


def directives(policy: str) -> dict[str, str]:
    """A Content-Security-Policy as {directive: its sources, whitespace normalised}."""
    parsed = [part.split() for part in policy.split(";") if part.strip()]
    return {words[0]: " ".join(words[1:]) for words in parsed}


def test_docs_are_published_by_a_custom_resource_with_the_function_url(cfn):
    site = cfn["Resources"]["DocsSite"]
    assert site["Type"].startswith("Custom::")
    properties = site["Properties"]
    assert properties["BucketName"] == {"Ref": "DocsBucket"}
    assert properties["DistributionId"] == {"Ref": "DocsDistribution"}
    config = properties["Config"]
    assert config["api_base_url"] == {"Fn::GetAtt": ["GatewayFunctionUrl", "FunctionUrl"]}
    assert config["aliases"]["gpt-4o"] == {"Ref": "DefaultModel"}
    assert config["aliases"]["gpt-4o-mini"] == {"Ref": "BackupModel"}
    # The public config names the stack, never the keys secret's ARN (it holds the account id),
    # with the very command the app's own /config.json gives.
    assert config["key_command"] == {
        "Fn::Sub": KEY_COMMAND.format(region="${AWS::Region}", stack="${AWS::StackName}")
    }
    assert "ApiKeysSecret}" not in json.dumps(config) and "AccountId" not in json.dumps(config)
    # A new publisher version (the docs changed) must change a property, or nothing republishes.
    version = properties["PublisherVersion"]["Ref"]
    assert cfn["Resources"][version]["Type"] == "AWS::Lambda::Version"
    publisher_policy = json.dumps(statements_of(cfn, "DocsPublisherFunctionRole"))
    assert "cloudfront:CreateInvalidation" in publisher_policy
    assert "s3:DeleteObject" in publisher_policy


def test_parameters_and_outputs(cfn):
    assert {
        "DefaultModel",
        "BackupModel",
        "AllowedOrigins",
        "LogLevel",
        "CloudflareAccountId",
        "CloudflareApiToken",
        "CloudflareAiGatewayToken",
        "UpstreamBaseUrl",
    } <= set(cfn["Parameters"])
    outputs = cfn["Outputs"]
    assert outputs["FunctionUrl"]["Value"] == {"Fn::GetAtt": ["GatewayFunctionUrl", "FunctionUrl"]}
    assert outputs["OpenAIBaseUrl"]["Value"] == {"Fn::Sub": "${GatewayFunctionUrl.FunctionUrl}v1"}
    assert "DocsUrl" in outputs
    assert outputs["ApiKeysSecretArn"]["Value"] == {"Ref": "ApiKeysSecret"}
    command = outputs["ApiKeyCommand"]["Value"]["Fn::Sub"]
    assert command.startswith("aws secretsmanager get-secret-value --secret-id ${ApiKeysSecret}")


def test_rest_api_entrance_streams_every_path_to_the_gateway(cfn):
    body = cfn["Resources"]["GatewayApi"]["Properties"]["Body"]
    assert set(body["paths"]) == {"/", "/{proxy+}"}
    for path in body["paths"].values():
        integration = path["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
        assert integration["responseTransferMode"] == "STREAM"
        assert "/response-streaming-invocations" in integration["uri"]["Fn::Sub"]


def test_sam_local_start_api_serves_the_whole_app():
    routes = sam_offline("routes")
    by_path = {route["path"]: route for route in routes}
    assert set(by_path) == {"/", "/{proxy+}"}
    for route in routes:
        assert route["function"] == "GatewayFunction"
        assert {"GET", "POST", "OPTIONS"} <= set(route["methods"])


def test_events_are_function_url_requests_the_app_routes():
    names = {path.name for path in (ROOT / "events").glob("*.json")}
    assert {"health.json", "models.json", "chat.json", "chat-stream.json"} <= names
    stream = json.loads((ROOT / "events" / "chat-stream.json").read_text())
    assert stream["version"] == "2.0"
    assert stream["requestContext"]["http"]["method"] == "POST"
    assert json.loads(stream["body"])["stream"] is True
