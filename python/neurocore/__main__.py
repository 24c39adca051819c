"""``python -m neurocore``: the neurocore command (see neurocore.cli)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
