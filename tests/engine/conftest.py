"""Fixtures for the engine's tests: a private copy of the demo knowledge base as a Project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kbgen.project import Project
from tests.conftest import ROOT


@pytest.fixture
def demo(tmp_path: Path) -> Project:
    root = tmp_path / "demo"
    shutil.copytree(ROOT / "kb", root / "kb")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    return Project.load(root)
