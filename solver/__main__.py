"""`python -m solver` and the `hw1-solver` command: Ctrl-C or SIGTERM at any moment, even
while the imports run, ends with status 130 (143 for SIGTERM) and one line, never a traceback."""
import sys


def run(prog: str = "hw1-solver") -> None:
    """The console command's entry point ([project.scripts] in pyproject.toml)."""
    try:
        from solver import interrupts

        interrupts.install()
        from solver.cli import main

        status = main(prog=prog)
    except KeyboardInterrupt as stop:
        try:
            print("interrupted: the previous outputs are unchanged", file=sys.stderr)
        except KeyboardInterrupt:  # a second Ctrl-C while saying so
            pass
        status = 128 + getattr(stop, "signum", 2)
    raise SystemExit(status)


if __name__ == "__main__":
    run("python -m solver")
