"""One BLAS thread for per-request math.

A briefing multiplies matrices of a few dozen rows.  OpenBLAS (numpy's BLAS) splits even those
across all cores, so when another process holds a core every product waits for it (issue 14
measured a 10k-store briefing at 107-117 ms with the other core busy, 19-32 ms quiet).
Summarizing one request on one thread costs the same whether or not the machine is busy, and a
bot serving several requests runs them side by side instead.  threadpoolctl (scikit-learn's
own tool for this) finds the BLAS numpy loaded and sets its thread count; the limit holds only
inside `one_blas_thread`, so a program that imports briefbot keeps its own setting elsewhere.
A program of briefbot's own (the command line) instead sets every BLAS to one thread for the
whole process before numpy loads (`one_thread_process`); the limit then costs nothing per use.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

_P = ParamSpec("_P")
_R = TypeVar("_R")

# The thread-count variables the BLAS builds numpy ships with or links to read when they load
# (OpenBLAS, its OpenMP build, Intel MKL, BLIS, Apple Accelerate), after threadpoolctl's list
# of the libraries it controls.
THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)
_whole_process: list[bool] = [False]


def one_thread_process() -> bool:
    """Before numpy loads, set every BLAS of this process to one thread (THREAD_VARIABLES,
    where the environment does not set them already); return whether the whole process now
    runs BLAS on one thread, so `one_blas_thread` has nothing to do (~1-3 ms less per
    process: no threadpoolctl import, no scan of the loaded libraries).

    False, and nothing set, once numpy is imported (a BLAS reads its variable when it loads);
    False when an operator's own setting asks for more threads (that setting is kept).
    """
    if "numpy" in sys.modules:
        return False
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    _whole_process[0] = all(os.environ[name].strip() == "1" for name in THREAD_VARIABLES)
    return _whole_process[0]


_built: list[tuple[int, ThreadpoolController]] = []


def _controller() -> ThreadpoolController:
    from threadpoolctl import ThreadpoolController

    # A scan of the loaded libraries costs about 1 ms, so it is kept, and redone only when
    # modules were imported since (scipy, for one, brings a BLAS of its own that a scan made
    # before it loaded would not limit).
    loaded = len(sys.modules)
    if not _built or _built[0][0] != loaded:
        _built[:] = [(loaded, ThreadpoolController())]
    return _built[0][1]


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the `with` block with BLAS on one thread, restoring the previous count after.

    Costs about 16 µs per use, nothing after `one_thread_process`; nesting is fine (the inner
    block restores the outer limit).
    """
    if _whole_process[0]:
        yield
        return
    with _controller().limit(limits=1, user_api="blas"):
        yield


def single_threaded(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorate a function so that its BLAS calls run on one thread (see `one_blas_thread`)."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with one_blas_thread():
            return function(*args, **kwargs)

    return wrapper
