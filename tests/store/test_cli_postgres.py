"""Every reader and writer of notes on PostgreSQL (KBGEN_STORE): log, report, draft, promote and
export give what they give on the gaps/ files, through the real command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kbgen.store.jsonl import JsonlStore
from tests.conftest import assert_clean_failure, run_kbgen

CASE = Path(__file__).resolve().parent.parent / "report_cases" / "basic"
AS_OF = "2026-11-01"


def _project(root: Path) -> Path:
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("expected.*", ".kbgen-cache"))
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Help\n\n<!-- kbgen:categories -->\n", encoding="utf-8")
    return root


@pytest.fixture
def pair(tmp_path: Path, postgres_url: str) -> tuple[Path, Path, dict[str, str]]:
    """The golden case twice: on its gaps/ files, and with the same notes moved into PostgreSQL."""
    from kbgen.store.postgres import PostgresStore

    files, database = _project(tmp_path / "files"), _project(tmp_path / "database")
    store = PostgresStore(postgres_url)
    notes = JsonlStore(database / "gaps").read()
    for n in notes:
        n.id_given = True
    store.append(notes)
    store.append_event_records(JsonlStore(database / "gaps").events())
    store.close()
    shutil.rmtree(database / "gaps")
    (database / "gaps").mkdir()
    return files, database, {"KBGEN_STORE": postgres_url}


def _json(root: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    result = run_kbgen(*args, "--json", cwd=root, env=env)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_report_draft_promote_and_export_on_postgresql_match_the_files(pair: tuple[Path, Path, dict[str, str]]) -> None:
    files, database, env = pair
    assert _json(database, "report", "--as-of", AS_OF, env=env) == _json(files, "report", "--as-of", AS_OF)
    drafted = _json(database, "draft", env=env)["drafts"]
    assert drafted == _json(files, "draft")["drafts"] and drafted
    assert not list((database / "gaps").glob("*.jsonl"))  # nothing went to the files
    for root, where in ((files, {}), (database, env)):
        path = root / drafted[0]["path"]
        head, _, _ = path.read_text(encoding="utf-8").partition("\n---\n")
        path.write_text(head + "\n---\nWe invoice in US dollars for now.\n", encoding="utf-8")
        result = run_kbgen("promote", drafted[0]["slug"], "--reviewer", "dana", cwd=root, env=where)
        assert result.code == 0, result.stderr
        assert "marked 4 notes resolved" in result.stdout
    # the same as-of for both: the rank decays with age, so two runs a second apart can round apart
    on_files = _json(files, "report", "--as-of", AS_OF, env={})
    on_database = _json(database, "report", "--as-of", AS_OF, env=env)
    assert on_files["kpis"] == on_database["kpis"] and on_files["gaps"] == on_database["gaps"]

    logged = _json(database, "log", "a question logged into PostgreSQL", "--answer", "fine", "--id", "PG-1", env=env)
    assert logged["stored"] is True
    assert _json(database, "log", "the same id again", "--id", "PG-1", env=env)["stored"] is False
    exported = _json(database, "export", env=env)
    assert exported["notes"] == len(JsonlStore(files / "gaps").read()) + 1 and exported["events"] > 0
    assert _json(database, "export", env=env) == {"notes": 0, "events": 0, "signals": 0}
    copy = {n.id: n.state for n in JsonlStore(database / "gaps").read()}
    assert {k: v for k, v in copy.items() if k != "PG-1"} == {n.id: n.state for n in JsonlStore(files / "gaps").read()}
    assert copy["PG-1"] == "open"


def test_export_without_postgresql_and_an_unknown_store_fail_cleanly(tmp_path: Path) -> None:
    root = _project(tmp_path / "help")
    refused = run_kbgen("export", cwd=root, env={"KBGEN_STORE": ""})
    assert_clean_failure(refused)
    assert "KBGEN_STORE=postgresql://" in refused.stderr
    unknown = run_kbgen("report", cwd=root, env={"KBGEN_STORE": "mongodb://db"})
    assert_clean_failure(unknown)
    assert "KBGEN_STORE" in unknown.stderr
