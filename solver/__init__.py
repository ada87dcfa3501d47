"""Worked, verified solutions to ELEG 5491 Homework 1, typeset as a PDF."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hw1-solver")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"


class BrokenInstallation(RuntimeError):
    """A file the package ships (a template, defaults.toml) is missing: reinstall it."""
