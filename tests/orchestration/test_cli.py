"""The one console entry point (`.venv/bin/warehouse`) and the README's night, as printed.

Run in a fresh environment (no activated venv, nothing on PATH but the system), as an office
would paste the README's lines into a new shell."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.cli import COMMANDS
from warehouse.settings import REPO_ROOT

BIN = Path(sys.executable).parent
WAREHOUSE = BIN / "warehouse"


def _fresh_env(**extra) -> dict[str, str]:
    env = {"HOME": os.environ.get("HOME", "/root"), "PATH": "/usr/bin:/bin", "DO_NOT_TRACK": "1"}
    env.update({k: v for k, v in os.environ.items() if k.endswith(("_DUCKDB_PATH", "_DIR")) and k.isupper()})
    env.update(extra)
    return env


def _run(args: list[str], **env) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO_ROOT, env=_fresh_env(**env), capture_output=True, text=True, timeout=300)


def _night_commands() -> list[list[str]]:
    """The `.venv/bin/...` commands of the README's "Real landing data" section."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Real landing data") :]
    section = section[: section.index("\n## ", 5)]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                if words and words[0].startswith(".venv/bin/"):
                    commands.append(words)
    return commands


def test_the_entry_point_is_installed_and_lists_every_subcommand():
    assert WAREHOUSE.exists(), "the venv lacks the console script (pyproject [project.scripts])"
    done = _run([str(WAREHOUSE), "--help"])
    assert done.returncode == 0, done.stderr
    for name in ("load", "check", "build", "publish", "excel", "report", "release", "reject", "status"):
        assert name in COMMANDS and f"  {name} " in done.stdout
    unknown = _run([str(WAREHOUSE), "explode"])
    assert unknown.returncode == 2 and "unknown subcommand" in unknown.stderr


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_subcommand_parses_its_help_in_a_fresh_shell(name):
    done = _run([str(WAREHOUSE), name, "--help"])
    assert done.returncode == 0, f"{name}: {done.stderr[-2000:]}"
    assert "usage" in done.stdout.lower()
    assert "No module named" not in done.stderr


def test_a_wrong_option_is_an_error_not_a_run():
    done = _run([str(WAREHOUSE), "release", "--city", "dortmund"])  # no source, period, reason
    assert done.returncode == 2 and "--reason" in done.stderr


def test_the_readme_night_uses_only_commands_and_options_that_exist():
    commands = _night_commands()
    names = [c[1] for c in commands if c[0] == ".venv/bin/warehouse"]
    assert {"load", "check", "build", "publish", "report", "release", "reject", "status"} <= set(names)
    for words in commands:
        assert (REPO_ROOT / words[0]).exists(), f"{words[0]} is not installed by make setup"
        if words[0] != ".venv/bin/warehouse":
            continue
        name, options = words[1], [w.split("=")[0] for w in words[2:] if w.startswith("--")]
        assert name in COMMANDS, f"README: unknown subcommand {name}"
        shown = _run([str(WAREHOUSE), name, "--help"]).stdout
        for option in options:
            assert option in shown, f"README: `warehouse {name}` has no option {option}"


def test_the_duckdb_command_opens_the_published_copy_as_printed(tmp_path):
    published = tmp_path / "published.duckdb"
    with duckdb.connect(str(published)) as con:
        con.execute("create schema publication; create table publication.about as select 'synthetic' as kind")
    (line,) = [c for c in _night_commands() if c[0] == ".venv/bin/duckdb"]
    args = [str(REPO_ROOT / line[0])] + [str(published) if a == "$PUBLISHED_DUCKDB_PATH" else a for a in line[1:]]
    done = _run(args)
    assert done.returncode == 0, done.stderr
    assert "synthetic" in done.stdout
    version = _run([str(BIN / "duckdb"), "--version"]).stdout
    assert version.startswith(f"v{duckdb.__version__}"), (version, duckdb.__version__)
