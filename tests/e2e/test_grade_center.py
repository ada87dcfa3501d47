"""`grade --roster`: one row per roster student, and the Blackboard Grade Center upload file in
Blackboard's documented form (a Username column, every value quoted, a header per column; the
points in a header as Grade Center writes them, "[Total Pts: 15 Score]"); cells safe from
spreadsheet formulas.  And `worksheet` never replaces a file someone may have filled in."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from test_make import project  # noqa: F401 - the fixture: a copy of the project for make

REPO = Path(__file__).resolve().parents[2]
ENV = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
RIGHT = {"q1": {"gradient": "(h - y) * h * (1 - h) * x_j / m"},
         "q2": {"gradient": "clip(z - z_hat, -delta, delta) / N"},
         "q3": {"iterations": [{"loss": 1.8931}, {"loss": 3.0307}]}}   # L(1), L(2) right; no update given
HEADER = ["Username", "HW1 Q1(a) [Total Pts: 15 Score]", "HW1 Q1(b) [Total Pts: 15 Score]",
          "HW1 Q2 [Total Pts: 30 Score]", "HW1 Q3 L(1) [Total Pts: 15 Score]", "HW1 Q3 update [Total Pts: 20 Score]",
          "HW1 Q3 L(2) [Total Pts: 15 Score]", "HW1 Total [Total Pts: 110 Score]"]


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env=ENV)


def test_a_roster_of_40_with_3_missing(tmp_path):
    ids = [f"s{k:02d}" for k in range(1, 41)]
    ids[4] = "=cmd|' /C calc'!A0"                          # a username a spreadsheet would run
    names = {sid: f"Student {k}" for k, sid in enumerate(ids, 1)}
    names[ids[7]] = "@SUM(1+1)*cmd"
    roster = tmp_path / "students.csv"
    with roster.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name"])
        w.writerows((sid, names[sid]) for sid in ids)
    subs = tmp_path / "subs"
    subs.mkdir()
    missing = {ids[2], ids[20], ids[39]}
    for sid in ids:
        if sid not in missing and not sid.startswith("="):
            (subs / f"{sid}.json").write_text(json.dumps(RIGHT))
    (subs / "s01.json").write_text(json.dumps({"q3": {"iterations": [{"loss": "=1+1"}]}}))   # text, not a number
    out = tmp_path / "grades.csv"
    run = _run("grade", str(subs), "--roster", str(roster), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "without a submission" in run.stdout and ids[20] in run.stdout

    center = (tmp_path / "grade-center.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(center)))
    assert rows[0] == HEADER
    assert len(rows) == 1 + 40 and [r[0] for r in rows[1:]] == [("'" + s if s.startswith("=") else s) for s in ids]
    for line in center.splitlines():                       # comma-delimited: every value in quotes
        assert line.startswith('"') and line.endswith('"') and line.count('","') == len(HEADER) - 1
    by_user = {r[0]: r for r in rows[1:]}
    for sid in missing | {"'" + ids[4]}:                   # no submission: no grade entered
        assert by_user[sid][1:] == [""] * 7
    # L(1) and L(2) right with their steps implied; Q1(a), Q2 right; the update blank; Q1(b) for a person
    assert by_user["s02"][1:] == ["15", "", "30", "15", "0", "15", "75"]
    assert by_user["s01"][4] == "0"                        # "=1+1" is unreadable, not a formula

    detail = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(detail) == 40
    status = {r["id"]: r["status"] for r in detail}
    assert all(status[s] == "no submission" for s in missing)
    assert status["'" + ids[4]] == "no submission"
    assert {r["name"] for r in detail} >= {"'@SUM(1+1)*cmd"}
    for r in detail:                                       # no cell a spreadsheet would run
        for cell in r.values():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")) and not (
                cell.startswith("-") and not cell.lstrip("-").replace(".", "").isdigit()), cell
    assert "unreadable" in next(r["reasons"] for r in detail if r["id"] == "s01")


def test_worksheet_refuses_to_overwrite(tmp_path):
    mine = tmp_path / "mywork.toml"
    mine.write_text('[q1]\ngradient = "(h - y) * h * (1 - h) * x_j / m"\n', encoding="utf-8")
    before = mine.read_bytes()
    run = _run("worksheet", "--out", str(mine))
    assert run.returncode == 2 and "--force" in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert mine.read_bytes() == before
    run = _run("worksheet", "--out", str(mine), "--force")
    assert run.returncode == 0 and mine.read_bytes() != before
    run = _run("rubric", "--out", str(tmp_path / "rubric.toml"))
    assert run.returncode == 0 and _run("rubric", "--out", str(tmp_path / "rubric.toml")).returncode == 2


def test_make_worksheet_leaves_a_filled_in_sheet(project, tmp_path):  # noqa: F811 - the fixture
    mine = tmp_path / "mywork.toml"
    mine.write_text("[q1]\ngradient = \"h\"\n", encoding="utf-8")
    before = mine.read_bytes()
    run = project.make("-s", "worksheet", f"WORKSHEET={mine}")
    assert run.returncode != 0 and "exists and was left as it is" in run.stderr and "FORCE=1" in run.stderr
    assert mine.read_bytes() == before
    run = project.make("-s", "worksheet", f"WORKSHEET={mine}", "FORCE=1")
    assert run.returncode == 0, run.stderr
    assert mine.read_bytes() != before


def test_help_starts_with_what_to_do_first_and_every_command_has_an_example():
    run = _run("--help")
    assert run.returncode == 0
    head = run.stdout.split("positional arguments")[0]
    assert "First:" in head and "build" in head
    for task in ("build", "regenerate", "check work", "variants", "grade", "upload"):
        assert f"  {task} " in head, task
    for command in ("build", "answers", "config", "tex", "watch", "worksheet", "check", "rubric", "grade", "variants",
                    "problems"):
        text = _run(command, "--help").stdout
        assert f"example:\n  python -m solver {command}" in text, command
