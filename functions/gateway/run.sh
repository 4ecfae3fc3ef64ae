#!/bin/sh
# The Lambda handler: the Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap) runs this
# script, waits until GET /health answers on AWS_LWA_PORT, then forwards every request to it.
# The runtime's own bootstrap is bypassed, so the dependencies layer (/opt/python) and the
# runtime's boto3 are put on the path here (the gateway never loads boto3 for itself: secrets come
# through the Parameters and Secrets extension; it stays importable for code that needs an AWS
# API on demand). `python -m gateway` serves under uvicorn (gateway/server.py).
set -eu
cd "$(dirname "$0")"
export PYTHONPATH="/opt/python:${LAMBDA_RUNTIME_DIR:-/var/runtime}${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m gateway --host 127.0.0.1 --port "${AWS_LWA_PORT:-8080}"
