"""The dependency lock files and the offline vulnerability check against OSV advisories
(the range evaluation itself is the project's OSV index, tested in tests/core/test_sbom_*)."""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import check_vulnerabilities as cv  # noqa: E402

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def pins_of(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        match = re.match(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;]+)", requirement)
        assert match, f"pyproject.toml pins every dependency exactly: {requirement!r}"
        pins[cv.canonical(match[1])] = match[2]
    return pins


RUNTIME = pins_of(PYPROJECT["project"]["dependencies"])
DEV = pins_of(PYPROJECT["project"]["optional-dependencies"]["dev"])


# --- the lock files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lock", "declared"),
    [("requirements.lock", RUNTIME), ("requirements-dev.lock", {**RUNTIME, **DEV})],
)
def test_the_lock_pins_what_pyproject_declares_with_hashes(
    lock: str, declared: dict[str, str]
) -> None:
    path = REPO / lock
    locked = cv.read_lock(path)
    differ = {
        name: (version, locked.get(name))
        for name, version in declared.items()
        if locked.get(name) != [version]
    }
    assert not differ, f"{lock} is out of date with pyproject.toml (run make lock): {differ}"
    # Every pinned requirement carries at least one hash (pip --require-hashes needs them).
    text = path.read_text(encoding="utf-8")
    blocks = re.split(
        r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1] if text.startswith("#") else text
    )
    for block in blocks:
        if cv.PIN.match(block.strip()):
            assert "--hash=sha256:" in block, block.splitlines()[0]


# --- the vulnerability check ------------------------------------------------------------------


def advisory(package: str, events: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "id": "FABRICATED-2026-1",
        "aliases": ["CVE-2026-0000"],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
        **extra,
    }


def run_check(
    tmp_path: Path, pins: dict[str, str], advisories: list[dict[str, Any]], capsys: Any
) -> tuple[int, str]:
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "".join(
            f"{name}=={version} \\\n    --hash=sha256:{'0' * 64}\n"
            for name, version in pins.items()
        ),
        encoding="utf-8",
    )
    folder = tmp_path / "osv"
    folder.mkdir(exist_ok=True)
    for number, item in enumerate(advisories):
        (folder / f"{number}.json").write_text(json.dumps(item), encoding="utf-8")
    code = cv.main([str(lock), "--advisories", str(folder), "--accepted", str(tmp_path / "none")])
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    ("version", "events", "expected"),
    [
        ("1.0", [{"introduced": "0"}, {"fixed": "1.1"}], True),
        ("1.1", [{"introduced": "0"}, {"fixed": "1.1"}], False),
        ("0.9", [{"introduced": "1.0"}], False),
        ("2.0", [{"introduced": "1.0"}], True),  # no fix yet
        ("1.2", [{"introduced": "1.0"}, {"last_affected": "1.2"}], True),
        ("1.2.1", [{"introduced": "1.0"}, {"last_affected": "1.2"}], False),
        # two intervals, listed out of order (as real advisories do): sorted before evaluation
        (
            "5.0.3",
            [{"introduced": "5.0"}, {"fixed": "5.0.8"}, {"introduced": "4.2"}, {"fixed": "4.2.15"}],
            True,
        ),
        (
            "4.2.20",
            [{"introduced": "5.0"}, {"fixed": "5.0.8"}, {"introduced": "4.2"}, {"fixed": "4.2.15"}],
            False,
        ),
        (
            "4.2.3",
            [{"introduced": "5.0"}, {"fixed": "5.0.8"}, {"introduced": "4.2"}, {"fixed": "4.2.15"}],
            True,
        ),
        ("2.0rc1", [{"introduced": "1.0"}, {"fixed": "2.0"}], True),  # PEP 440: rc before final
        ("3.0", [{"introduced": "0"}, {"limit": "2.0"}], False),
    ],
)
def test_osv_ranges_are_evaluated_as_the_schema_says(
    tmp_path: Path, capsys: Any, version: str, events: list[dict[str, str]], expected: bool
) -> None:
    code, out = run_check(tmp_path, {"example": version}, [advisory("example", events)], capsys)
    assert code == (1 if expected else 0), out


def test_a_fabricated_advisory_against_a_pinned_version_fails_the_check(
    tmp_path: Path, capsys: Any
) -> None:
    django = RUNTIME["django"]
    fixed = Version(django)
    after = f"{fixed.major}.{fixed.minor}.{fixed.micro + 1}"
    code, out = run_check(
        tmp_path,
        {"Django": django, "waitress": RUNTIME["waitress"]},
        [advisory("django", [{"introduced": "0"}, {"fixed": after}])],
        capsys,
    )
    assert code == 1
    assert f"VULNERABLE django {django}: FABRICATED-2026-1 (CVE-2026-0000); fixed in {after}" in out


@pytest.mark.parametrize(
    "item",
    [
        advisory("django", [{"introduced": "0"}, {"fixed": RUNTIME["django"]}]),  # fixed in ours
        advisory("django", [{"introduced": "0"}], withdrawn="2026-01-01T00:00:00Z"),
        advisory("flask", [{"introduced": "0"}]),  # another package
    ],
)
def test_advisories_that_do_not_apply_pass(
    tmp_path: Path, capsys: Any, item: dict[str, Any]
) -> None:
    code, out = run_check(tmp_path, {"Django": RUNTIME["django"]}, [item], capsys)
    assert code == 0, out


def test_an_explicit_version_list_counts_and_accepted_advisories_need_a_reason(
    tmp_path: Path, capsys: Any
) -> None:
    listed = advisory("django", [], id="FABRICATED-2026-2")
    listed["affected"][0]["versions"] = [RUNTIME["django"]]
    code, _ = run_check(tmp_path, {"django": RUNTIME["django"]}, [listed], capsys)
    assert code == 1
    (tmp_path / "accepted").write_text("FABRICATED-2026-2\n", encoding="utf-8")
    assert (
        cv.main(
            [
                str(tmp_path / "requirements.lock"),
                "--advisories",
                str(tmp_path / "osv"),
                "--accepted",
                str(tmp_path / "accepted"),
            ]
        )
        == 2
    )
    (tmp_path / "accepted").write_text("FABRICATED-2026-2 only in the admin\n", encoding="utf-8")
    assert (
        cv.main(
            [
                str(tmp_path / "requirements.lock"),
                "--advisories",
                str(tmp_path / "osv"),
                "--accepted",
                str(tmp_path / "accepted"),
            ]
        )
        == 0
    )


def test_unreadable_input_is_an_error_not_a_pass(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "bad.lock").write_text("django>=5\n", encoding="utf-8")
    assert cv.main([str(tmp_path / "bad.lock"), "--advisories", str(tmp_path)]) == 2
    assert "not an exact pin" in capsys.readouterr().err
    (tmp_path / "good.lock").write_text("django==5.2\n", encoding="utf-8")
    assert cv.main([str(tmp_path / "good.lock"), "--advisories", str(tmp_path / "none")]) == 2
    assert "no OSV advisory folder" in capsys.readouterr().err


def test_real_advisories_flag_a_known_vulnerable_release(shared_dir: Path) -> None:
    folder = shared_dir / "data" / "osv" / "pypi-pypa-advisory-database"
    before_fix = {finding.advisory for finding in cv.check({"django": ["4.2.14"]}, folder).findings}
    after_fix = {finding.advisory for finding in cv.check({"django": ["4.2.15"]}, folder).findings}
    assert "PYSEC-2024-70" in before_fix and "PYSEC-2024-70" not in after_fix
