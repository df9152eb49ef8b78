"""``python -m forecaster ...`` is the ``forecaster`` command."""

from .cli import run

run()
