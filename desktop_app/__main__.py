"""`python -m desktop_app ...` is the same as the `lookalike` command."""

import sys

# Absolute import: the PyInstaller bundle runs this file as a plain script, outside the package.
from desktop_app.cli import main

sys.exit(main())
