"""Rewrite docs/api.md's parameter tables from each API's table (`make parameters`)."""

import re
import sys
from pathlib import Path

from gateway.app import parameter_tables
from gateway.core.parameters import markdown

PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.md"
MARKED = re.compile(r"(<!-- parameters:start -->\n).*?(<!-- parameters:end -->)", re.S)

text = PAGE.read_text()
if not MARKED.search(text):
    sys.exit("docs/api.md has no <!-- parameters:start --> ... <!-- parameters:end --> markers")
PAGE.write_text(MARKED.sub(lambda m: m.group(1) + markdown(parameter_tables()) + m.group(2), text))
