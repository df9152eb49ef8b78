"""``forecaster serve``: the interactive explorer (a local web app on the engine).

:func:`make_app` builds the ASGI app, :func:`serve` runs it with uvicorn. See docs/EXPLORER.md.
"""

from ._app import Background, make_app, serve
from ._state import State, overrides, parse_state

__all__ = ["Background", "State", "make_app", "overrides", "parse_state", "serve"]
