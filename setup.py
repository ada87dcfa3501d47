"""The top-level templates/ folder ships inside the wheel as solver/templates (pyproject.toml holds the rest).

The wheel also carries scripts/_hw1_solver_start.pth at the root of site-packages: Python runs its one
line while it starts, before `hw1-solver` or `python -m solver` reaches the package's own code, and it
holds back a Ctrl-C (blocks SIGINT) for those two commands only; the package releases it once its
handler is in place (solver/__init__.py), so the Ctrl-C gets one line, not Python's traceback.
"""
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

START = Path(__file__).parent / "scripts" / "_hw1_solver_start.pth"


class BuildWithStart(build_py):
    def run(self) -> None:
        super().run()
        self.copy_file(str(START), str(Path(self.build_lib) / START.name))


setup(
    packages=[*find_packages(include=["solver", "solver.*"]), "solver.templates"],
    package_dir={"solver.templates": "templates"},
    package_data={"solver": ["defaults.toml", "questions/*/defaults.toml"], "solver.templates": ["*.j2", "*/*.j2"]},
    cmdclass={"build_py": BuildWithStart},
)
