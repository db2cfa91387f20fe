"""Shared machinery for the checks: call the learner's function, compare, explain.

Every check raises an AssertionError whose message says what was called, on
which case, what was expected, what came back, and, when the answer matches a
known mistake, which mistake it is. Checking functions set `__tracebackhide__`,
so that IPython shows the learner their own cell and the message, not our frames.
"""
import contextlib
import copy
import sys
import warnings

import numpy as np


def show(value, limit=6):
    """A short, readable description of a value for a failure message."""
    if isinstance(value, np.ndarray):
        if value.size <= limit:
            return np.array2string(value, precision=6, separator=", ")
        return f"array of shape {value.shape}, first values {np.array2string(value.ravel()[:limit], precision=6, separator=', ')}"
    return repr(value)


def call(fn, name, *args, hint="", forbid_warnings=False):
    """Call the learner's `fn(*args)` and turn every way it can go wrong into a clear message.

    `name` describes the call for messages; `hint` is added to any failure message.
    """
    __tracebackhide__ = True
    hint = f" {hint}" if hint else ""
    originals = copy.deepcopy(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            try:
                result = fn(*args)
            except NotImplementedError:
                raise AssertionError(f"{name}: not implemented yet. Replace `raise NotImplementedError()` with your code.") from None
            except Exception as error:
                raise AssertionError(f"{name} raised {type(error).__name__}: {error}.{hint}") from error
    for before, after in zip(originals, args):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
            raise AssertionError(f"{name} changed its input in place; compute a new array and leave the inputs as they were.")
    numeric = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    if forbid_warnings and numeric:
        values = np.asarray(result, dtype=float)
        if not np.isfinite(values).all():
            raise AssertionError(f"{name} returned {show(values)} (numpy warned: {numeric[0]}).{hint}")
        raise AssertionError(f"{name} gave the warning '{numeric[0]}'.{hint}")
    return result


@contextlib.contextmanager
def watching(fn, global_name):
    """Count the calls `fn` makes to the function its own namespace calls `global_name`."""
    namespace = fn.__globals__
    original = namespace.get(global_name)
    if original is None:
        raise AssertionError(f"{fn.__name__} needs your `{global_name}`: run the cell that defines it first.")
    calls = []

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    namespace[global_name] = spy
    try:
        yield calls
    finally:
        namespace[global_name] = original


@contextlib.contextmanager
def forbidding(fn, module, attribute, advice):
    """Make `module.attribute` raise `advice` when `fn` itself calls it; other callers get the original."""
    original = getattr(module, attribute)

    def guard(*args, **kwargs):
        if sys._getframe(1).f_code is fn.__code__:
            raise AssertionError(advice)
        return original(*args, **kwargs)

    setattr(module, attribute, guard)
    try:
        yield
    finally:
        setattr(module, attribute, original)


def as_array(got, name, shape):
    """Check that `got` is a float array of the expected shape and return it as one."""
    __tracebackhide__ = True
    if got is None:
        raise AssertionError(f"{name} returned None: did you forget `return`?")
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} returned {type(got).__name__}, not an array of numbers.") from None
    if arr.shape != tuple(shape):
        raise AssertionError(f"{name} returned shape {arr.shape}, expected {tuple(shape)}.")
    return arr


def expect_close(got, want, name, rtol=1e-7, atol=1e-10, mistakes=None):
    """Compare `got` with `want`; on a mismatch explain it, naming a known mistake it matches.

    `mistakes` maps a description of a mistake to what that mistake would have returned.
    """
    __tracebackhide__ = True
    want = np.asarray(want, dtype=float)
    got = as_array(got, name, want.shape)
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=False):
        return
    lines = [f"{name} is wrong."]
    bad = ~np.isfinite(got)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        lines.append(f"It returned {float(got[where])} at index {where}, where {float(want[where])!r} was expected.")
    else:
        error = np.abs(got - want) - atol - rtol * np.abs(want)
        where = np.unravel_index(int(np.argmax(error)), got.shape)
        where = tuple(int(i) for i in where)
        lines.append(f"At index {where} it returned {float(got[where])!r}, expected {float(want[where])!r}.")
    lines.append(f"  expected: {show(want)}")
    lines.append(f"  got:      {show(got)}")
    for description, value in (mistakes or {}).items():
        value = np.asarray(value, dtype=float)
        if value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9):
            lines.append(f"This is what you get if you {description}.")
            break
    raise AssertionError("\n".join(lines))
