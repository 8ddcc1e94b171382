"""``python -m hostnet.bot``: the same as ``hostnet-bot``."""

import sys

from .main import main

sys.exit(main())
