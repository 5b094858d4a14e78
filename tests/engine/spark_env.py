"""What the Spark tests need, checked the same way in each: `make test` installs Java 17 (`make
java`) and the spark extra (`make spark`), so a missing one is a broken setup and fails the test;
it never turns into a skip that would let the parity go unchecked. Deselect the Spark tests on
purpose with `-m "not spark"`."""

from __future__ import annotations

import shutil

import pytest


def require_spark() -> None:
    if shutil.which("java") is None:
        pytest.fail("java missing: Spark needs Java 17 (make java installs openjdk-17-jre-headless)")
    import pyspark  # noqa: F401  (an ImportError is a failure too: make spark installs the extra)
