"""`python -m bot` is the same as the `binhdan` command."""

import sys

from bot.cli.main import main

sys.exit(main())
