"""Unit tests of the stop-sequence rule (translate.StopScanner): however a stream splits the
text into pieces, what comes out is the text up to the earliest stop sequence, and nothing is
held back longer than a stop sequence could need."""

from __future__ import annotations

from itertools import combinations

import pytest

from gateway.core.pieces import StopScanner

TEXT = "Hello, world. The end is near; the END."


def splits(text: str, cuts: int) -> list[list[str]]:
    """Every way to cut `text` into `cuts + 1` non-empty pieces."""
    return [
        [text[a:b] for a, b in zip((0, *points), (*points, len(text)), strict=True)]
        for points in combinations(range(1, len(text)), cuts)
    ]


def scan(stops: list[str], pieces: list[str]) -> tuple[str, bool]:
    scanner = StopScanner(stops)
    out = "".join(scanner.feed(piece) for piece in pieces)
    if not scanner.stopped:
        out += scanner.flush()
    return out, scanner.stopped


def expected(stops: list[str], text: str = TEXT) -> tuple[str, bool]:
    hits = [i for i in (text.find(stop) for stop in stops) if i >= 0]
    return (text[: min(hits)], True) if hits else (text, False)


@pytest.mark.parametrize(
    "stops",
    [
        [],
        ["end"],
        ["END"],
        ["near; the"],
        ["absent"],
        ["world", "Hello"],  # the earliest wins, not the first listed
        [".", "The end is near"],
        ["e", "absent sequence longer than any piece"],
    ],
)
@pytest.mark.parametrize("cuts", [0, 1, 2])
def test_every_split_gives_the_same_cut(stops, cuts):
    for pieces in splits(TEXT, cuts):
        assert scan(stops, pieces) == expected(stops), pieces


def test_nothing_after_the_stop_comes_out():
    scanner = StopScanner(["STOP"])
    assert scanner.feed("abcST") == "ab"  # holds back len("STOP") - 1 characters
    assert scanner.feed("OPxyz") == "c"
    assert scanner.stopped
    assert scanner.feed("more") == ""


def test_without_stops_pieces_pass_through_at_once():
    scanner = StopScanner([])
    assert [scanner.feed(piece) for piece in ("a", "bc", "")] == ["a", "bc", ""]
    assert scanner.flush() == ""
