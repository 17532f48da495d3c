"""The sandbox is the server side: it must not share code with syncd's client or storage."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import syncd.sandbox
from syncd.sandbox import SandboxOptions, start_sandbox
start_sandbox(SandboxOptions(catalogue_size=10)).stop()
bad = sorted(
    name for name in sys.modules
    if name.split(".")[0] in {"httpx2", "httpcore2", "sqlalchemy", "pydantic", "structlog"}
    or (name.startswith("syncd.") and not name.startswith("syncd.sandbox"))
)
print(",".join(bad))
"""


def test_sandbox_imports_only_the_standard_library_and_itself() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
