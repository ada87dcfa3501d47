"""The top-level templates/ folder ships inside the wheel as solver/templates (pyproject.toml holds the rest)."""
from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["solver", "solver.*"]), "solver.templates"],
    package_dir={"solver.templates": "templates"},
    package_data={"solver": ["defaults.toml", "questions/*/defaults.toml"], "solver.templates": ["*.j2", "*/*.j2"]},
)
