"""The installed package's version (``0.0.0+local`` in a checkout that is not installed)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("forecaster")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+local"
