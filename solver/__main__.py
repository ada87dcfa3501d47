"""`python -m solver` and the `hw1-solver` command: Ctrl-C or SIGTERM at any moment, even
while the imports run, ends with status 130 (143 for SIGTERM) and one line, never a traceback."""
import sys


def run(prog: str = "hw1-solver") -> None:
    """The console command's entry point ([project.scripts] in pyproject.toml)."""
    try:
        from solver.engine import signals

        signals.install()
        from solver.cli import main

        status = main(prog=prog)
    except KeyboardInterrupt as stop:
        try:
            print("interrupted: the previous outputs are unchanged", file=sys.stderr)
        except KeyboardInterrupt:  # a second Ctrl-C while saying so
            pass
        status = 128 + getattr(stop, "signum", 2)
    _leave(status)


def _leave(status: int) -> None:
    """Exit with `status` without tearing the interpreter down (freeing every module costs about
    0.05 s, a tenth of a rebuild): every file the command wrote is closed by then, its worker
    pools are shut down and its temporary folders removed.  With another thread still running,
    or output that cannot be flushed, the ordinary exit."""
    import os
    import threading

    try:
        sys.stdout.flush()
    except (OSError, ValueError) as error:   # stdout full (/dev/full) or closed (`| head -c1`)
        status = status or 1
        try:
            print(f"error: cannot write to standard output: {getattr(error, 'strerror', None) or error}",
                  file=sys.stderr)
        except (OSError, ValueError):
            pass
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # nothing left to flush at exit
        os._exit(status)
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        os._exit(status)
    if threading.active_count() == 1:
        os._exit(status)
    raise SystemExit(status)


if __name__ == "__main__":
    run("python -m solver")
