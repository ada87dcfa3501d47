"""`python -m solver`: Ctrl-C or SIGTERM at any moment, even while the imports run,
ends with status 130 (143 for SIGTERM) and one line, never a traceback."""
import sys

from solver import interrupts

interrupts.install()
try:
    from solver.cli import main

    status = main()
except KeyboardInterrupt as stop:
    print("interrupted: the previous outputs are unchanged", file=sys.stderr)
    status = 128 + getattr(stop, "signum", 2)
raise SystemExit(status)
