#!/usr/bin/env python3
"""Dockerfile rules CI holds the image to, for when hadolint is not installed (stdlib only).

Checks: every FROM names a pinned tag or digest (not ``latest``, not bare); ENTRYPOINT and CMD are
exec form (a JSON array, so syncd is PID 1 and gets SIGTERM); the final stage runs as a non-root
USER; a HEALTHCHECK is declared; every ``pip install`` installs from requirements.lock or with
``--no-deps`` (nothing resolved outside the lock); no ADD (COPY says what it does); apt-get
installs use --no-install-recommends. Usage: lint_dockerfile.py [Dockerfile]; exit 1 on a problem.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def instructions(text: str) -> list[tuple[int, str, str]]:
    """(line number, INSTRUCTION, arguments) with continuations joined and comments dropped."""
    out: list[tuple[int, str, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, args = full.partition(" ")
        out.append((start, word.upper(), args.strip()))
    return out


def problems(text: str) -> list[str]:
    found: list[str] = []
    stages: set[str] = set()
    final_user: str | None = None
    healthcheck = False
    for line, word, args in instructions(text):
        where = f"line {line}"
        if word == "FROM":
            parts = args.split()
            image = parts[0]
            if len(parts) >= 3 and parts[1].upper() == "AS":
                stages.add(parts[2].lower())
            final_user = None  # USER does not carry over into a new stage
            if image.lower() in stages:
                continue
            name_tag = image.split("@", 1)
            if len(name_tag) == 1:
                tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else None
                if tag is None or tag == "latest":
                    found.append(f"{where}: base image {image!r} is not pinned to a tag")
        elif word in ("ENTRYPOINT", "CMD"):
            try:
                ok = isinstance(json.loads(args), list)
            except ValueError:
                ok = False
            if not ok:
                found.append(f"{where}: {word} must be exec form (a JSON array)")
        elif word == "USER":
            final_user = args.split(":", 1)[0]
        elif word == "HEALTHCHECK":
            healthcheck = args.upper() != "NONE"
        elif word == "ADD":
            found.append(f"{where}: use COPY, not ADD")
        elif word == "RUN":
            for command in re.split(r"&&|;|\|\|", args):
                if re.search(r"\bpip3?\s+install\b", command) and not (
                    re.search(r"requirements[.\w]*\.lock", command) or "--no-deps" in command
                ):
                    found.append(f"{where}: pip install outside the lock file: {command.strip()}")
                if "apt-get install" in command and "--no-install-recommends" not in command:
                    found.append(f"{where}: apt-get install without --no-install-recommends")
    if final_user is None or final_user in ("root", "0"):
        found.append("the final stage must switch to a non-root USER")
    if not healthcheck:
        found.append("no HEALTHCHECK")
    return found


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "Dockerfile")
    found = problems(path.read_text())
    for problem in found:
        print(f"{path}: {problem}")
    if not found:
        print(f"{path}: ok")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
