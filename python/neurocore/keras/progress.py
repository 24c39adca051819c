"""Progress display of fit / evaluate / predict, in Keras 3's formats.

verbose=1 on a terminal: a bar redrawn in place (at most every 50 ms, so the cost per step is one clock read),
``12/47 ━━━━━━━━━━────────── 1s 25ms/step - accuracy: 0.9012 - loss: 0.3127`` (remaining time while running,
elapsed time when done). verbose=1 when stdout is not a terminal, and verbose=2: one line when done,
``47/47 - 1s - 25ms/step - accuracy: 0.9012 - loss: 0.3127``. fit prints ``Epoch 3/10`` before each epoch when
there is more than one. verbose=0: nothing.
"""
import math
import sys
import time

__all__ = []

_INTERVAL = 0.05  # seconds between redraws of a live bar
_WIDTH = 20


def resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose in (0, 1, 2) and not isinstance(verbose, float):
        return int(verbose)
    raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")


def is_terminal():
    try:
        return bool(sys.stdout.isatty())
    except (AttributeError, ValueError):
        return False


def _value(v, signed_small):
    # Keras: 4 decimals, scientific notation for small values (verbose=2 tests v > 1e-3, the live bar |v|).
    big = abs(v) > 1e-3 if signed_small else v > 1e-3
    return f"{v:.4f}" if big else f"{v:.4e}"


def _per_step(seconds):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def _duration(seconds):
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


class Progress:
    """One epoch's (or one evaluation's) display. ``live`` is True when ``update`` should be called per step."""

    def __init__(self, steps, verbose):
        self.steps = steps
        self.verbose = verbose
        self.live = verbose == 1 and is_terminal()
        self.start = time.perf_counter()
        self._after_first = None
        self._last_draw = -math.inf
        self._prev_width = 0

    def _time_per_step(self, step, now):
        # The first step (often slower: building, allocation) is left out once there are more.
        if self._after_first is not None and step > 1:
            return (now - self._after_first) / (step - 1)
        return (now - self.start) / max(step, 1)

    def update(self, step, logs=None):
        """Redraw the live bar after ``step`` steps (skipped if the last redraw was under 50 ms ago)."""
        now = time.perf_counter()
        if step == 1:
            self._after_first = now
        if now - self._last_draw < _INTERVAL:
            return
        self._last_draw = now
        self._draw(step, logs, now, final=False)

    def _draw(self, step, logs, now, final):
        digits = len(str(self.steps))
        done = int(_WIDTH * step / self.steps) if self.steps else _WIDTH
        per_step = self._time_per_step(step, now)
        when = _duration(now - self.start) if final else _duration(per_step * (self.steps - step))
        line = f"{step:{digits}d}/{self.steps} " + "━" * done + "─" * (_WIDTH - done) + f" {when} " + \
            _per_step(per_step) + "".join(f" - {k}: {_value(v, True)}" for k, v in (logs or {}).items())
        pad = " " * max(self._prev_width - len(line), 0)
        self._prev_width = len(line)
        sys.stdout.write("\r" + line + pad + ("\n" if final else ""))
        sys.stdout.flush()

    def finish(self, logs=None, steps_done=None):
        """The final line: the live bar completed, or the one-line summary."""
        if not self.verbose:
            return
        steps = self.steps if steps_done is None else steps_done
        now = time.perf_counter()
        if steps == 1 and self._after_first is None:
            self._after_first = now
        if self.live:
            self._draw(steps, logs, now, final=True)
            return
        digits = len(str(self.steps))
        line = f"{steps:{digits}d}/{self.steps} - {now - self.start:.0f}s - " + \
            _per_step(self._time_per_step(steps, now)) + \
            "".join(f" - {k}: {_value(v, False)}" for k, v in (logs or {}).items())
        print(line, flush=True)


def epoch_header(epoch, epochs, verbose):
    if verbose and epochs > 1:
        print(f"Epoch {epoch + 1}/{epochs}", flush=True)
