"""`python -m solver`: Ctrl-C or SIGTERM at any moment, even while the imports run,
ends with status 130 (143 for SIGTERM) and one line, never a traceback."""
import sys

try:
    from solver import interrupts

    interrupts.install()
    from solver.cli import main

    status = main()
except KeyboardInterrupt as stop:
    try:
        print("interrupted: the previous outputs are unchanged", file=sys.stderr)
    except KeyboardInterrupt:  # a second Ctrl-C while saying so
        pass
    status = 128 + getattr(stop, "signum", 2)
raise SystemExit(status)
