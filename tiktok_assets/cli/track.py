"""`tiktok-assets track` and `untrack`: add or remove ids in the instance at `DAGSTER_HOME`.

    tiktok-assets track shop 7493920192384910
    tiktok-assets untrack video 7301234567890123456 7301234567890123457

Every id is validated first; one invalid id refuses the command (exit code 2) and nothing
changes. `track` only registers the ids (as the UI's "add partition" does): the refresh
schedules fetch them at their next tick, or launch their jobs from the UI to fetch them now.
`untrack` removes the partitions, not the data already in the warehouse.
"""

from __future__ import annotations

import argparse
import sys

from tiktok_assets.cli.common import open_instance
from tiktok_assets.tracking.seeds import ENTITIES, InvalidIds, TrackedFileError, validate_ids


def _ids(command: str, args: argparse.Namespace) -> list[str] | None:
    try:
        return validate_ids(args.entity, args.ids, where=f"tiktok-assets {command}")
    except InvalidIds as exc:
        print(str(exc), file=sys.stderr)
        return None


def _track(args: argparse.Namespace) -> int:
    from tiktok_assets.jobs import families_of
    from tiktok_assets.partitions import IDS_BY_ENTITY

    ids = _ids("track", args)
    if ids is None:
        return 2
    instance = open_instance("track")
    if instance is None:
        return 2
    name = IDS_BY_ENTITY[args.entity].name
    with instance:
        known = set(instance.get_dynamic_partitions(name))
        new = [i for i in ids if i not in known]
        if new:
            instance.add_dynamic_partitions(name, new)
    already = [i for i in ids if i in known]
    if new:
        print(f"added {len(new)} {args.entity} id(s) to {name}: {', '.join(new)}")
        jobs = ", ".join(f.name for f in families_of(args.entity))
        print(
            "  the refresh schedules fetch them at their next tick; to fetch them now, launch "
            f"{jobs} on them from the UI"
        )
    if already:
        print(f"already tracked ({len(already)}): {', '.join(already)}")
    return 0


def _still_in_file(entity: str, ids: list[str]) -> list[str]:
    from tiktok_assets.tracking.seeds import read_tracked, tracked_file

    try:
        seeds = read_tracked(tracked_file())
    except (InvalidIds, TrackedFileError, OSError):
        return []
    listed = set(seeds.of(entity)) if seeds else set()
    return [i for i in ids if i in listed]


def _untrack(args: argparse.Namespace) -> int:
    from tiktok_assets.partitions import IDS_BY_ENTITY
    from tiktok_assets.tracking.seeds import tracked_file

    ids = _ids("untrack", args)
    if ids is None:
        return 2
    instance = open_instance("untrack")
    if instance is None:
        return 2
    name = IDS_BY_ENTITY[args.entity].name
    with instance:
        known = set(instance.get_dynamic_partitions(name))
        removed = [i for i in ids if i in known]
        for entity_id in removed:
            instance.delete_dynamic_partition(name, entity_id)
    unknown = [i for i in ids if i not in known]
    if removed:
        print(f"removed {len(removed)} {args.entity} id(s) from {name}: {', '.join(removed)}")
        print("  their rows stay in the warehouse")
    if unknown:
        print(f"not tracked ({len(unknown)}): {', '.join(unknown)}")
    listed = _still_in_file(args.entity, removed)
    if listed:
        print(
            f"note: {', '.join(listed)} still listed in {tracked_file()}; the tracked_ids_sensor "
            "adds them back the next time that file changes: remove them there too"
        )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `track` and `untrack` to the `tiktok-assets` sub-commands."""
    for command, run, verb in (
        ("track", _track, "start tracking"),
        ("untrack", _untrack, "stop tracking"),
    ):
        parser = commands.add_parser(
            command,
            help=f"{verb} ids (in the Dagster instance at DAGSTER_HOME)",
            description=__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument("entity", choices=ENTITIES, help="what the ids are")
        parser.add_argument("ids", nargs="+", metavar="ID", help="vendor ids (digits)")
        parser.set_defaults(run=run)
