from __future__ import annotations

from pathlib import Path

import pytest

from finres.core.library import Library, load_paths

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def demo_library() -> Library:
    return load_paths([FIXTURES / "library"])


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the shared data folder is not beside the repository ({SHARED})")
    return SHARED
