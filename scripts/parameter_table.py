"""Rewrite README.md's parameter tables from gateway/parameters.py (`make parameters`)."""

import re
import sys
from pathlib import Path

from gateway.parameters import markdown

README = Path(__file__).resolve().parents[1] / "README.md"
MARKED = re.compile(r"(<!-- parameters:start -->\n).*?(<!-- parameters:end -->)", re.S)

text = README.read_text()
if not MARKED.search(text):
    sys.exit("README.md has no <!-- parameters:start --> ... <!-- parameters:end --> markers")
README.write_text(MARKED.sub(lambda m: m.group(1) + markdown() + m.group(2), text))
