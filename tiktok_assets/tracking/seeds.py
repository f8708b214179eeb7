"""The seed ids: `tracked.yaml` and the ids given on the command line, validated.

The file lists, per entity, the ids a user cares about:

    shops:
      - "7493920192384910"
    videos: ["7301234567890123456"]

Keys are `shops`, `products`, `creators` and `videos` (each optional). Ids are the vendor's
numeric strings; quote them (an unquoted number is accepted, but YAML reads `012` as 10).
One invalid id refuses the whole file or command: nothing is added.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from tiktok_assets.api.ids import MAX_ID_LENGTH, is_valid_id
from tiktok_assets.settings import Settings, get_settings

ENTITIES: tuple[str, ...] = ("shop", "product", "creator", "video")
FILE_KEYS: dict[str, str] = {f"{e}s": e for e in ENTITIES}


class InvalidIds(ValueError):
    """Ids that are not 1 to 20 ASCII digits; the message lists them all."""

    def __init__(self, where: str, invalid: list[tuple[str, object]]) -> None:
        self.invalid = invalid
        shown = ", ".join(f"{entity} {_show(value)}" for entity, value in invalid[:20])
        more = f" (and {len(invalid) - 20} more)" if len(invalid) > 20 else ""
        super().__init__(
            f"{where}: {len(invalid)} invalid id(s): {shown}{more}. Ids are 1 to "
            f"{MAX_ID_LENGTH} digits (0-9), nothing else; nothing was added"
        )


class TrackedFileError(ValueError):
    """The tracked-ids file cannot be read as a mapping of entity lists."""


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _as_id(value: object) -> object:
    """An unquoted YAML integer becomes its digits; anything else is kept for validation."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value


def validate_ids(entity: str, values: Iterable[object], *, where: str) -> list[str]:
    """The ids in order without duplicates, or `InvalidIds` naming every bad one."""
    ids: list[str] = []
    invalid: list[tuple[str, object]] = []
    for value in values:
        value = _as_id(value)
        if is_valid_id(value):
            ids.append(value)  # type: ignore[arg-type]
        else:
            invalid.append((entity, value))
    if invalid:
        raise InvalidIds(where, invalid)
    return list(dict.fromkeys(ids))


@dataclasses.dataclass(frozen=True)
class TrackedIds:
    """Seed ids per entity, in file order."""

    ids: Mapping[str, tuple[str, ...]]
    digest: str = ""

    def of(self, entity: str) -> tuple[str, ...]:
        return self.ids.get(entity, ())

    def __len__(self) -> int:
        return sum(len(v) for v in self.ids.values())


def parse_tracked(text: str | bytes, where: str = "tracked.yaml") -> TrackedIds:
    """Parse and validate a tracked-ids document (see the module docstring)."""
    raw = text.encode() if isinstance(text, str) else text
    digest = hashlib.sha256(raw).hexdigest()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise TrackedFileError(f"{where}: not valid YAML ({exc})") from None
    if data is None:
        return TrackedIds({}, digest)
    if not isinstance(data, dict):
        raise TrackedFileError(f"{where}: expected a mapping with keys {', '.join(FILE_KEYS)}")
    unknown = [str(k) for k in data if k not in FILE_KEYS]
    if unknown:
        raise TrackedFileError(
            f"{where}: unknown key(s) {unknown}; expected {', '.join(FILE_KEYS)}"
        )
    ids: dict[str, tuple[str, ...]] = {}
    invalid: list[tuple[str, object]] = []
    for key, entity in FILE_KEYS.items():
        values = data.get(key) or []
        if not isinstance(values, list):
            raise TrackedFileError(f"{where}: `{key}` must be a list of ids")
        try:
            ids[entity] = tuple(validate_ids(entity, values, where=where))
        except InvalidIds as exc:
            invalid += exc.invalid
    if invalid:
        raise InvalidIds(where, invalid)
    return TrackedIds(ids, digest)


def tracked_file(settings: Settings | None = None) -> Path:
    """`TIKTOK_TRACKED_FILE`, or `tracked.yaml` at the project root."""
    from tiktok_assets.warehouse.resource import project_root

    configured = (settings or get_settings()).tiktok_tracked_file
    return configured or project_root() / "tracked.yaml"


def read_tracked(path: Path) -> TrackedIds | None:
    """The file's ids, or None when there is no file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return parse_tracked(raw, str(path))
