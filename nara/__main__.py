"""``python -m nara`` and the frozen binary's entry point."""

import sys

from nara.cli import main

if __name__ == "__main__":
    sys.exit(main())
