"""``python -m forecaster ...`` is the ``forecaster`` command."""

import sys

from .cli import main

sys.exit(main())
