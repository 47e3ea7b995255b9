"""The platform-neutral core of briefbot: store, ingest, briefings, commands and the CLI.

Nothing here imports a chat platform library; adapters translate to and from this package.
"""

__version__ = "0.1.0"
