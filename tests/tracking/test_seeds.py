"""The seed ids: tracked.yaml parsing and id validation."""

from __future__ import annotations

import re

import pytest

from tiktok_assets.tracking.seeds import (
    InvalidIds,
    TrackedFileError,
    parse_tracked,
    read_tracked,
    validate_ids,
)
from tiktok_assets.warehouse.resource import project_root


def test_parse_lists_per_entity_in_order_without_duplicates() -> None:
    seeds = parse_tracked(
        'shops: ["7493920192384910", "12"]\n'
        "videos:\n  - '7301234567890123456'\n  - 7301234567890123456\n"
        "creators: []\n"
    )
    assert seeds.of("shop") == ("7493920192384910", "12")
    assert seeds.of("video") == ("7301234567890123456",)
    assert seeds.of("creator") == () and seeds.of("product") == ()
    assert len(seeds) == 3
    assert len(seeds.digest) == 64


def test_the_shipped_file_is_an_empty_commented_example() -> None:
    seeds = read_tracked(project_root() / "tracked.yaml")
    assert seeds is not None and len(seeds) == 0


@pytest.mark.parametrize("text", ["", "# only comments\n", "shops:\n"])
def test_empty_documents_track_nothing(text: str) -> None:
    assert len(parse_tracked(text)) == 0


def test_one_invalid_id_refuses_the_whole_file_and_names_every_bad_one() -> None:
    text = 'shops: ["123", "12x"]\nvideos: ["123456789012345678901", "-5", true]\n'
    with pytest.raises(InvalidIds) as caught:
        parse_tracked(text, "tracked.yaml")
    message = str(caught.value)
    assert "4 invalid id(s)" in message
    for shown in ("shop '12x'", "video '123456789012345678901'", "video '-5'", "video True"):
        assert shown in message
    assert "nothing was added" in message
    assert "1 to 20 digits" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("shop: ['1']\n", "unknown key(s) ['shop']"),
        ("shops: '1'\n", "`shops` must be a list"),
        ("- 1\n- 2\n", "expected a mapping"),
        ("shops: [1\n", "not valid YAML"),
    ],
)
def test_malformed_files_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(TrackedFileError, match=re.escape(message)):
        parse_tracked(text)


def test_missing_file_is_none(tmp_path) -> None:
    assert read_tracked(tmp_path / "absent.yaml") is None


def test_validate_ids_accepts_digits_only() -> None:
    assert validate_ids("shop", ["1", "00012", "9" * 20, "1"], where="x") == [
        "1",
        "00012",
        "9" * 20,
    ]
    with pytest.raises(InvalidIds, match=r"x: 2 invalid id\(s\): shop '1 2', shop '٣'"):
        validate_ids("shop", ["1 2", "٣"], where="x")
