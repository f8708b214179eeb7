"""The Dockerfile (no Docker engine here to build it): it installs the way `scripts/bootstrap`
does, copies what the install and the code location need, and serves the code location."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib

import pytest

from tests.deploy.deployment import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            result.append((keyword.upper(), args.strip()))
    return result


DOCKERFILE = _instructions((ROOT / "Dockerfile").read_text())


def _pip_install(command: str) -> list[str]:
    """The arguments after `pip install` in a shell command."""
    for part in re.split(r"&&|;|\n", command):
        words = shlex.split(part.replace("\\", " "))
        for i in range(len(words) - 1):
            if words[i : i + 2] == ["pip", "install"]:
                return words[i + 2 :]
    return []


def _options(args: list[str]) -> tuple[dict[str, str], list[str]]:
    """(`-c`/`-e` options with their values, the other arguments without `--quiet`-like flags)."""
    options: dict[str, str] = {}
    rest: list[str] = []
    words = iter(args)
    for word in words:
        if word in {"-c", "--constraint", "-e", "--editable"}:
            options[word.lstrip("-")[0]] = next(words)
        elif not word.startswith("-"):
            rest.append(word)
    return options, rest


def _image_install() -> list[str]:
    installs = [_pip_install(args) for kind, args in DOCKERFILE if kind == "RUN"]
    installs = [i for i in installs if i]
    assert len(installs) == 1, "one pip install in the image"
    return installs[0]


def _bootstrap_install() -> list[str]:
    text = re.sub(r"\\\n", " ", (ROOT / "scripts" / "bootstrap").read_text())
    installs = [
        _pip_install(line.replace('"$VENV/bin/python" -m ', ""))
        for line in text.splitlines()
        if "constraints" in line
    ]
    (install,) = [i for i in installs if i]
    return install


def _args(keyword: str) -> dict[str, str]:
    """ARG or ENV defaults of the Dockerfile, by name."""
    values: dict[str, str] = {}
    for kind, args in DOCKERFILE:
        if kind == keyword:
            for word in shlex.split(args):
                name, _, value = word.partition("=")
                values[name] = value
    return values


def test_the_image_installs_with_the_constraints_bootstrap_uses() -> None:
    image_options, image_targets = _options(_image_install())
    boot_options, _ = _options(_bootstrap_install())
    assert image_options.get("c") == boot_options.get("c") == "constraints.txt"
    assert boot_options.get("e") == ".[dev]"
    # The project itself, not editable, with the PostgreSQL extra and without the dev tools.
    assert "e" not in image_options
    (project,) = [t for t in image_targets if t.startswith(".")]
    extras = set(re.fullmatch(r"\.\[(.*)\]", project).group(1).split(","))  # type: ignore[union-attr]
    assert "postgres" in extras and "dev" not in extras
    optional = PYPROJECT["project"]["optional-dependencies"]
    assert extras <= set(optional)
    assert any(d.startswith("dagster-postgres") for d in optional["postgres"])


def test_the_run_launcher_library_matches_the_pinned_dagster_release() -> None:
    launcher = _args("ARG")["RUN_LAUNCHER_PACKAGE"]
    assert "${RUN_LAUNCHER_PACKAGE}" in _image_install()
    name, _, version = launcher.partition("==")
    assert name in {"dagster-k8s", "dagster-docker"}
    pins = dict(
        line.split("==", 1)
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    )
    # Libraries share one version per dagster release (dagster 1.13.27 <-> 0.29.27).
    assert version == pins["dagster-postgres"]


def _ignored(path: str, patterns: list[str]) -> bool:
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern.strip("/")) or fnmatch.fnmatch(parts[-1], pattern)
        for pattern in patterns
        for prefix in prefixes
        if not pattern.startswith("!")
    )


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_everything_the_image_copies_is_in_the_build_context() -> None:
    ignored = _dockerignore()
    copied: list[str] = []
    for kind, args in DOCKERFILE:
        if kind == "COPY":
            sources = [w for w in shlex.split(args) if not w.startswith("--")][:-1]
            copied += sources
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not _ignored(source, ignored), f"COPY {source}: excluded by .dockerignore"
    # What `pip install .` reads, and the production instance for DAGSTER_HOME.
    needed = {"pyproject.toml", "constraints.txt", PYPROJECT["project"]["readme"], "tiktok_assets/"}
    assert needed <= set(copied)
    assert "deploy/dagster.yaml" in copied and "deploy/workspace.yaml" in copied


@pytest.mark.parametrize("path", [".venv", ".git", "data", "dagster_home", ".env", "tests"])
def test_local_state_and_secrets_stay_out_of_the_build_context(path: str) -> None:
    assert _ignored(path, _dockerignore())


def test_the_image_serves_the_code_location_as_pyprojects_module() -> None:
    module = PYPROJECT["tool"]["dagster"]["module_name"]
    (cmd,) = [args for kind, args in DOCKERFILE if kind == "CMD"]
    command = json.loads(cmd)
    assert command[:3] == ["dagster", "api", "grpc"]
    assert command[command.index("-m") + 1] == module
    port = command[command.index("-p") + 1]
    assert ("EXPOSE", port) in DOCKERFILE
    assert ("USER", "dagster") in DOCKERFILE, "runs as a non-root user"
    env = _args("ENV")
    assert env["DAGSTER_HOME"]
    python = _args("ARG")["PYTHON_VERSION"]
    required = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.split("."))) >= tuple(map(int, required.split(".")))
