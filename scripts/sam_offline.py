"""Offline views of template.yaml through SAM's own code; runs in the SAM CLI venv (.venv-sam).

    sam_offline.py translate [TEMPLATE]  -> the CloudFormation that SAM deploys, as JSON
    sam_offline.py checkov [TEMPLATE]    -> the same, for checkov (see inherit_skips)
    sam_offline.py routes [TEMPLATE]     -> the routes `sam local start-api` serves, as JSON

No AWS credentials or network are needed: the translator gets an empty managed-policy map
(the template names no managed policy by name), and the route listing is the same
SamLocalStackProvider + ApiProvider pair that `sam local start-api` uses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class NoManagedPolicies:
    """A ManagedPolicyLoader that never calls IAM."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template_path: Path) -> dict[str, Any]:
    from samcli.lib.translate.sam_template_validator import SamTemplateValidator
    from samcli.yamlhelper import yaml_parse

    template = yaml_parse(template_path.read_text(encoding="utf-8"))
    validator = SamTemplateValidator(template, NoManagedPolicies(), region="us-east-1")
    # What `sam validate` does: stand-in S3 URIs for the local CodeUri/ContentUri folders.
    return yaml_parse(validator.get_translated_template_if_valid())


def inherit_skips(template: dict[str, Any]) -> dict[str, Any]:
    """Give each generated resource the checkov skips, with their reasons, of its SAM resource.

    SAM names what it generates after the source (GatewayFunction -> GatewayFunctionUrl,
    GatewayApi -> GatewayApiapiStage), but leaves the source's Metadata behind.
    """
    resources = template["Resources"]
    sources = {
        name: resource["Metadata"]["checkov"]
        for name, resource in resources.items()
        if "checkov" in resource.get("Metadata", {})
    }
    for name, resource in resources.items():
        metadata = resource.setdefault("Metadata", {})
        if "checkov" in metadata:
            continue
        owner = max(
            (source for source in sources if name.startswith(source)), key=len, default=None
        )
        if owner:
            metadata["checkov"] = sources[owner]
    return template


def routes(template_path: Path) -> list[dict[str, Any]]:
    from samcli.lib.providers.api_provider import ApiProvider
    from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

    stacks, _ = SamLocalStackProvider.get_stacks(str(template_path))
    provider = ApiProvider(stacks, cwd=str(template_path.parent))
    return [
        {"path": route.path, "methods": sorted(route.methods), "function": route.function_name}
        for route in provider.routes
    ]


def main(argv: list[str]) -> int:
    commands = {
        "translate": translate,
        "checkov": lambda path: inherit_skips(translate(path)),
        "routes": routes,
    }
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    template_path = Path(argv[1]) if len(argv) > 1 else ROOT / "template.yaml"
    result = commands[argv[0]](template_path)
    json.dump(result, sys.stdout, indent=2, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
