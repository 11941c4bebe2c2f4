"""The one entry point: the reviewer console (default), the intake service, the applicant
simulator, replay, and the administrative commands. `python main.py --help` lists them."""

from __future__ import annotations

import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
