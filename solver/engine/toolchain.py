"""The TeX toolchain: find it, install it where we may, or say how to install it.

The list of packages lives here and only here; the Makefile's `tex` step calls
`python -m solver tex --install`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

TOOLS = ("pdflatex",)   # solver.engine.pdflatex runs its passes itself: latexmk is not needed

DEBIAN_PACKAGES = (
    "texlive-latex-base",
    "texlive-latex-recommended",
    "texlive-fonts-recommended",
    "lmodern",
    # Chinese names (CJKutf8 under pdflatex, loaded only when the text has Chinese): ~23 MB
    # installed with its dependencies, against ~100 MB for XeLaTeX with a CJK font.
    "latex-cjk-chinese",
    "latex-cjk-chinese-arphic-gbsn00lp",  # simplified (GB2312)
    "latex-cjk-chinese-arphic-bsmi00lp",  # traditional (Big5)
)
FEDORA_PACKAGES = (
    "texlive-scheme-basic",
    "texlive-collection-latexrecommended",
    "texlive-collection-fontsrecommended",
    "texlive-lm",
    "texlive-cjk",
    "texlive-arphic",
)


class ToolchainMissing(RuntimeError):
    """pdflatex is not on PATH."""


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def install_instructions(missing: list[str]) -> str:
    return (
        f"TeX is missing ({', '.join(missing)} not found on PATH). Install it, then run the command again:\n"
        f"  Debian/Ubuntu: sudo apt-get install {' '.join(DEBIAN_PACKAGES)}\n"
        f"  Fedora:        sudo dnf install {' '.join(FEDORA_PACKAGES)}\n"
        "  macOS:         install MacTeX (brew install --cask mactex), or BasicTeX then\n"
        "                 sudo tlmgr install collection-latexrecommended collection-fontsrecommended lm cjk arphic"
    )


def missing_cjk() -> list[str]:
    """["CJKutf8.sty"] when TeX is there but cannot typeset Chinese names, else []."""
    if shutil.which("kpsewhich") is None:
        return []
    found = subprocess.run(["kpsewhich", "CJKutf8.sty", "c70gbsn.fd", "c70bsmi.fd"],
                           capture_output=True, text=True).stdout.split()
    return [] if len(found) == 3 else ["CJKutf8.sty with the Arphic fonts"]


def require() -> None:
    missing = missing_tools()
    if missing:
        raise ToolchainMissing(install_instructions(missing))


def _apt_prefix() -> list[str] | None:
    """The command prefix that runs apt-get as root, or None where we may not."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def _found() -> str:
    """One line naming the TeX found, e.g. `TeX: pdfTeX 3.141592653-2.6-1.40.25 (TeX Live 2023/Debian) (/usr/bin/pdflatex)`."""
    try:
        first = subprocess.run(["pdflatex", "--version"], capture_output=True, text=True, timeout=30).stdout
        version = first.splitlines()[0].strip() if first.strip() else "pdflatex"
    except (OSError, subprocess.SubprocessError):
        version = "pdflatex"
    return f"TeX: {version} ({shutil.which('pdflatex')})"


def ensure(install: bool, quiet: bool = False) -> int:
    """Exit status 0 when TeX is ready (installing it with apt-get if allowed), else 1.
    Without the Chinese fonts TeX is still ready (only Chinese names need them): a note."""
    missing = missing_tools() or missing_cjk()
    if not missing:
        if not quiet:
            print(_found())
        return 0
    optional = not missing_tools()
    prefix = _apt_prefix() if install else None
    if prefix is None:
        if optional:
            print(f"note: {missing[0]} not found: Chinese names cannot be typeset until it is installed\n"
                  + install_instructions(missing).split("\n", 1)[1], file=sys.stderr)
            return 0
        print(install_instructions(missing), file=sys.stderr)
        return 1
    print(f"Installing TeX with apt-get (about a minute): {' '.join(DEBIAN_PACKAGES)}", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = [
        [*prefix, "apt-get", "update", "-qq"],
        [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *DEBIAN_PACKAGES],
    ]
    for step in steps:
        run = subprocess.run(step, env=env, capture_output=True, text=True)
        if run.returncode != 0:  # show apt's own words only when they matter
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-15:])
            print(f"{tail}\n`{' '.join(step)}` failed.\n" + install_instructions(missing), file=sys.stderr)
            return 1
    still = missing_tools() or missing_cjk()
    if still:
        print(install_instructions(still), file=sys.stderr)
        return 1
    return 0
