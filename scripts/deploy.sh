#!/usr/bin/env bash
# `make deploy`: sam build + sam deploy (guided the first time, while the stack does not exist),
# then print the base_url, the docs URL and the command that prints the API key.
# CONFIG_ENV=prod deploys the prod environment of samconfig.toml; arguments go to sam deploy.
set -euo pipefail
cd "$(dirname "$0")/.."
SAM=${SAM:-sam}   # e.g. "SAM_CLI_TELEMETRY=0 .venv-sam/bin/sam" (what make deploy passes)
CONFIG_ENV=${CONFIG_ENV:-default}
sam() { env $SAM "$@"; }

sam build --config-env "$CONFIG_ENV"
if sam list stack-outputs --config-env "$CONFIG_ENV" --output json >/dev/null 2>&1; then
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
