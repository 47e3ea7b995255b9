"""A CPU-burning process started by a bench itself, so "with another core busy" is repeatable.

with busy():
    ...  # timings taken here compete with one process spinning on a core
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_SPIN = "import sys\nsys.stdout.write('ready\\n'); sys.stdout.flush()\nwhile True: pass\n"


@contextmanager
def busy() -> Iterator[None]:
    """Keep one other core busy (a Python loop in a child process) for the `with` block."""
    child = subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        child.stdout.readline()  # spinning before the first timed run
        yield
    finally:
        child.kill()
        child.wait()
