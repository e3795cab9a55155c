"""`python -m desktop_app ...` is the same as the `lookalike` command."""

import sys

from .cli import main

sys.exit(main())
