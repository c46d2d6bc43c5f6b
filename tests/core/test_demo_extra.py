"""Faker is the `demo` extra, not a dependency of the service: without it, the commands that
make demo data say what to install instead of failing with a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# The `cma` command in an install without the extra: importing faker fails as it would there.
WITHOUT_FAKER = (
    "import sys; sys.modules['faker'] = None; from cma.cli import main; main(sys.argv[1:])"
)


@pytest.mark.parametrize("command", ["seed", "generate-legacy"])
def test_without_faker_the_demo_commands_say_to_install_the_demo_extra(
    command: str, tmp_path: Path, database_url: str
) -> None:
    export = tmp_path / "export"
    arguments = [command, str(export)] if command == "generate-legacy" else [command]

    refused = subprocess.run(
        [sys.executable, "-c", WITHOUT_FAKER, *arguments],
        env={**os.environ, "DATABASE_URL": database_url, "CMA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert refused.returncode == 2, refused.stderr
    assert "installez cma[demo]" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not export.exists()
