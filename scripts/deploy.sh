#!/usr/bin/env bash
# `make deploy`: sam build + sam deploy (guided the first time, while the stack does not exist),
# then print the base_url, the docs URL and the command that prints the API key.
# CONFIG_ENV=prod deploys the prod environment of samconfig.toml; arguments go to sam deploy.
set -euo pipefail
cd "$(dirname "$0")/.."
SAM=${SAM:-sam}   # e.g. "SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam" (what make deploy passes)
CONFIG_ENV=${CONFIG_ENV:-default}
sam() { env $SAM "$@"; }

# Look the stack up first: a missing stack means a first (guided) deploy; any other failure
# (no credentials, no region) is shown as it is, before anything is built.
if found=$(sam list stack-outputs --config-env "$CONFIG_ENV" --output json 2>&1); then
  first=""
elif grep -qi "does not exist" <<<"$found"; then
  first=yes
else
  echo "$found" >&2
  echo "make deploy: sam could not look up the stack (above). Check the AWS credentials and" \
    "region (aws configure, or AWS_PROFILE / AWS_REGION)." >&2
  exit 1
fi
sam build --config-env "$CONFIG_ENV"
if [ -z "$first" ]; then
  sam deploy --config-env "$CONFIG_ENV" "$@"
else
  echo "First deploy: sam asks for the region, the Cloudflare account id and API token."
  sam deploy --guided --config-env "$CONFIG_ENV" "$@"
fi

sam list stack-outputs --config-env "$CONFIG_ENV" --output json | python3 -c '
import json, sys
outputs = {item["OutputKey"]: item["OutputValue"] for item in json.load(sys.stdin)}
print()
print("OpenAI base_url :", outputs["OpenAIBaseUrl"])
print("Docs            :", outputs["DocsUrl"])
print("API key         :", outputs["ApiKeyCommand"])
print("Smoke test      : make smoke BASE_URL=" + outputs["FunctionUrl"].rstrip("/")
      + " API_KEY=<the key>")
'
