"""The demo site, built once per test session with the real theme by the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbgen.kb import KnowledgeBase
from kbgen.project import Project
from tests.conftest import ROOT, run_kbgen


@pytest.fixture(scope="session")
def demo_kb() -> KnowledgeBase:
    return KnowledgeBase.load(Project.load(ROOT))


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("demo") / "site"
    result = run_kbgen("build", "-d", str(site), cwd=ROOT)
    assert result.code == 0, result.stderr
    return site
