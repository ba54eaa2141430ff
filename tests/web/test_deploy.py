"""The production settings pass Django's deployment checklist, and the API schema is clean."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    # Exactly what docs/web.md ("Production behind a TLS proxy") tells an operator to set.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "finres.web.settings.production",
        "FINRES_SECRET_KEY": secrets.token_urlsafe(64),
        "FINRES_AUDIT_KEY": secrets.token_hex(32),
        "FINRES_ALLOWED_HOSTS": "finres.example.org",
        "FINRES_DATA_DIR": str(tmp_path),
        "FINRES_TRUSTED_PROXY": "127.0.0.1",
    }
    env.pop("DATABASE_URL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "finres", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "no issues" in completed.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "finres.web.settings.production",
        "FINRES_DATA_DIR": str(tmp_path),
    }
    env.pop("FINRES_SECRET_KEY", None)
    completed = subprocess.run(
        [sys.executable, "-m", "finres", "manage", "check"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert completed.returncode != 0
    assert "FINRES_SECRET_KEY" in completed.stderr
    assert "Traceback" not in completed.stderr
