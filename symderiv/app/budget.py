"""A wall-clock budget for work on what users type: past it, one sentence and exit code 2, never a hang.

sympy's construction of some nested expressions (tanh of tanh of … ten deep) grows exponentially before any of
symderiv's caps can look at the result, so the command line bounds the whole computation instead.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from symderiv.model.errors import InputError
from symderiv.output.resources import seconds_setting

VARIABLE = "SYMDERIV_TIME_LIMIT"
DEFAULT_SECONDS = 30.0
REPEAT = 0.5  # after the first alarm, again every REPEAT seconds until the computation has stopped


class Overtime(BaseException):
    """The budget is spent (a BaseException, so that no `except Exception` in the computation swallows it)."""

    exit_code = 2

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return (f"working this input out takes longer than {self.seconds:g} s, so it was stopped; simplify it, "
                f"or allow more time with {VARIABLE}=SECONDS (0 for no limit).")


def limit() -> float:
    """The budget in seconds from SYMDERIV_TIME_LIMIT (default 30; 0 means none), or an InputError."""
    text, seconds = seconds_setting(VARIABLE)
    if seconds is None:
        return DEFAULT_SECONDS
    if not 0 <= seconds <= 86_400:
        raise InputError(f"{VARIABLE} must be a number of seconds from 0 (no limit) to 86400, not {text[:40]!r}.")
    return seconds


@contextmanager
def time_budget(seconds: float | None = None):
    """Run the block under a wall-clock budget (main thread only; elsewhere, or at 0, without one)."""
    seconds = limit() if seconds is None else seconds
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum, frame):
        raise Overtime(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
