"""The manual's links hold: every relative link in README.md and docs/*.md points at a file that
exists and, with an `#anchor` into a markdown page, at one of its headings (GitHub's anchor
rule); and every page of docs/ is reachable from the index, docs/README.md."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from helpers import ROOT

DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
FENCED = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
"""A target with a scheme (https:, mailto:): not this repository's."""


def prose(text: str) -> str:
    """The text without code blocks, where neither links nor headings are markdown."""
    return FENCED.sub("", text)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lowercase, every character but letters,
    digits, `_`, `-` and spaces dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor; a repeated one gets `-1`, `-2`, … as on GitHub."""
    seen: Counter[str] = Counter()
    found = set()
    for heading in HEADING.findall(prose(page.read_text())):
        slug = anchor(heading)
        found.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
        seen[slug] += 1
    return found


def links(page: Path) -> list[str]:
    return LINK.findall(INLINE_CODE.sub("", prose(page.read_text())))


def broken(page: Path, target: str) -> str | None:
    """Why `target`, linked from `page`, leads nowhere; None when it resolves."""
    path, _, fragment = target.partition("#")
    file = (page.parent / path).resolve() if path else page
    if not file.exists():
        return f"{target}: no such file"
    if fragment and file.suffix == ".md" and fragment not in anchors(file):
        return f"{target}: no heading #{fragment} in {file.name}"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path):
    targets = [target for target in links(page) if not EXTERNAL.match(target)]
    assert targets, f"{page.relative_to(ROOT)} links to no other page"
    assert [why for target in targets if (why := broken(page, target))] == []


def test_every_docs_page_is_in_the_index():
    index = DOCS / "README.md"
    linked = {(DOCS / target.partition("#")[0]).resolve() for target in links(index)}
    pages = {page.resolve() for page in DOCS.glob("*.md") if page != index}
    assert sorted(page.name for page in pages - linked) == []


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        (
            "`sam local start-api` and the REST API entrance",
            "sam-local-start-api-and-the-rest-api-entrance",
        ),
        ("The API key: where it is, how to rotate it", "the-api-key-where-it-is-how-to-rotate-it"),
        ("Models, aliases and fallback", "models-aliases-and-fallback"),
        ("SnapStart (evaluated, not offered)", "snapstart-evaluated-not-offered"),
        ("Workers AI ⇄ OpenAI gateway", "workers-ai--openai-gateway"),
        ("gpt-oss", "gpt-oss"),
        ("RESPONSES_TABLE", "responses_table"),
    ],
)
def test_anchors_follow_githubs_rule(heading: str, expected: str):
    assert anchor(heading) == expected


def test_a_missing_heading_is_reported(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Some section\n\n[here](#some-section) [gone](#no-such)\n")
    found = [why for target in links(page) if (why := broken(page, target))]
    assert len(found) == 1 and "#no-such" in found[0]
