"""The ``exchange`` command line, an entry point beside the API: one module per command group."""

from exchange_cli import demo, domains, platform
from exchange_cli.app import main

__all__ = ["demo", "domains", "main", "platform"]
