"""A CPU-burning process started by a bench itself, so "with another core busy" is repeatable.

with busy() as burner:
    ...  # timings taken here compete with one process spinning on a core
    burner.pause()   # the same process stopped (SIGSTOP): a quiet machine, for a timing
    burner.resume()  # spinning again (SIGCONT)

Pausing and resuming lets a bench time quiet and busy runs alternately, side by side, so the
busy / quiet ratio compares the same minutes of a machine whose speed drifts (this one's raw
timings move by up to 1.5x between runs minutes apart).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_SPIN = "import sys\nsys.stdout.write('ready\\n'); sys.stdout.flush()\nwhile True: pass\n"


class Burner:
    """The spinning child of `busy`; `pause` and `resume` stop and restart it (POSIX)."""

    def __init__(self, child: subprocess.Popen[str]) -> None:
        self._child = child

    def pause(self) -> None:
        """Stop the child (SIGSTOP): it holds no core until `resume`."""
        self._child.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let the child spin again (SIGCONT)."""
        self._child.send_signal(signal.SIGCONT)


@contextmanager
def busy() -> Iterator[Burner]:
    """Keep one other core busy (a Python loop in a child process) for the `with` block."""
    child = subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        child.stdout.readline()  # spinning before the first timed run
        yield Burner(child)
    finally:
        child.kill()
        child.wait()
