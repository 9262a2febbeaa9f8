"""The ``pgpolicy`` console script: runs the Rust ``pgpolicy`` CLI that the wheel carries
beside this file, the same executable as ``cargo install --path core`` and the npm bin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional


def executable() -> Optional[Path]:
    """The bundled CLI executable, or None in a build from source (which ships no CLI)."""
    exe = Path(__file__).with_name("pgpolicy.exe" if os.name == "nt" else "pgpolicy")
    return exe if exe.is_file() else None


def main(argv: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    exe = executable()
    if exe is None:
        sys.stderr.write(
            "pgpolicy: this installation carries no CLI executable (a build from source ships the\n"
            "Python package only). Install a prebuilt wheel, or install the CLI with cargo from a clone\n"
            "of the repository: cargo install --locked --path core\n"
        )
        raise SystemExit(1)
    if os.name == "nt":
        raise SystemExit(subprocess.call([str(exe), *args]))
    os.execv(str(exe), [str(exe), *args])


if __name__ == "__main__":
    main()
