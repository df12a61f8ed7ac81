"""`python -m tfxkit` runs the `tfxkit` command."""

import sys

from tfxkit.cli.main import main

sys.exit(main())
