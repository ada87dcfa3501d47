"""requirements.lock: every dependency pinned with hashes, consistent with pyproject.toml,
and installed at exactly the pinned version (the environment `make` set up)."""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"


def pins() -> dict[str, tuple[Requirement, list[str]]]:
    """name → (the pinned requirement, its hashes), from requirements.lock."""
    found: dict[str, tuple[Requirement, list[str]]] = {}
    text = re.sub(r"\\\n", " ", LOCK.read_text())  # join continuation lines
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        words = line.split(" --hash=")
        requirement = Requirement(words[0])
        found[canonicalize_name(requirement.name)] = (requirement, [w.strip() for w in words[1:]])
    return found


def test_every_pin_is_exact_and_hashed() -> None:
    locked = pins()
    assert locked
    for name, (requirement, hashes) in locked.items():
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"{name} is not pinned with =="
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{name} has no sha256 hash"


def test_lock_satisfies_pyproject() -> None:
    """A dependency added to pyproject.toml but not to the lock means: run `make lock`."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [*project["project"]["dependencies"], *project["project"]["optional-dependencies"]["test"],
              *project["build-system"]["requires"]]
    locked = pins()
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is in pyproject.toml but not in requirements.lock; run `make lock`"
        pinned = next(iter(locked[name][0].specifier)).version
        assert requirement.specifier.contains(pinned, prereleases=True), (
            f"requirements.lock pins {name}=={pinned}, outside pyproject.toml's {requirement}; run `make lock`")


@pytest.mark.parametrize("name", sorted(pins()))
def test_installed_version_is_the_pinned_one(name: str) -> None:
    requirement, _ = pins()[name]
    if requirement.marker is not None and not requirement.marker.evaluate():
        pytest.skip(f"{name} is not needed here ({requirement.marker})")
    pinned = Version(next(iter(requirement.specifier)).version)
    try:
        installed = Version(metadata.version(name))
    except metadata.PackageNotFoundError:
        pytest.fail(f"{name}=={pinned} is pinned in requirements.lock but not installed; run `make venv`")
    assert installed == pinned, f"{name} {installed} is installed, requirements.lock pins {pinned}; run `make venv`"
