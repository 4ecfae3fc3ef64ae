#!/bin/sh
# Print the path of a Python 3.13 (the Lambda runtime's), found as a user's machine has it:
# `python3.13` on PATH, else any 3.13 that pyenv holds (`pyenv which` resolves its shim, which
# answers only for the selected version). With none, warn on stderr and exit 1: the build goes
# on, but ships no precompiled bytecode, only a matching interpreter can write it.
# Used by the `sam build` Makefiles (functions/gateway, layers) and tests/deploy/test_lambda_bundle.py.
probe='import sys; assert sys.version_info[:2] == (3, 13); print(sys.executable)'

if python3.13 -c "$probe" 2>/dev/null; then
	exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
	for version in $(pyenv versions --bare 2>/dev/null | grep '^3\.13'); do
		python=$(PYENV_VERSION=$version pyenv which python3.13 2>/dev/null) &&
			"$python" -c "$probe" 2>/dev/null && exit 0
	done
fi
echo "WARNING: no Python 3.13 found (python3.13 on PATH, or a 3.13 in pyenv): the build ships" \
	"no precompiled bytecode, so every Lambda cold start compiles it and is slower" \
	"(the import takes ~3x as long). Install Python 3.13 and build again." >&2
exit 1
