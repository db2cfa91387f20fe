"""Shared machinery for the checks: call the learner's function, compare, explain.

Every check raises an AssertionError whose message says what was called, on
which case, what was expected, what came back, and, when the answer matches a
known mistake, which mistake it is.

The lesson modules follow one shape, for each contract function X:

- `check_X(<learner functions>)`, in `autograder/<topic>.py`, is the visible check, called in the
  notebook as `check_X(fn)` or `check_X(fn, dependency)`; it runs fixed cases.
- the hidden check, with the instructor, takes the same learner functions and a `seed`; it runs
  cases drawn from `np.random.default_rng(seed)`, sizes from `random_sizes`.
- `compare_X(<the same learner functions>, *inputs)` (`compare_X_<aspect>` where one exercise has
  several), in the visible module, compares the learner's answer on those inputs with the right
  answer, which it computes itself, from PyTorch or an independent formula: it never takes the right
  answer as an argument, and the visible modules never import the instructor's reference (they ship
  to students). The checks call it; tests of the reference are in `tests/`.
- Learner functions are parameters named as in the contract (`sigmoid`, `LSTMVariantCell`), and every
  call of learner code goes through `call` (or `built_from` / `beside`). Helpers that compute with
  PyTorch are named `torch_*`; those that build the answers of known mistakes, `*_mistakes`; those
  that compare a value and raise, `expect_*` (`expect_close` here).
- Every `check_*` and `compare_*`, and every helper that raises an AssertionError for the learner, sets
  `__tracebackhide__ = True` as its first statement, so that IPython shows the learner their own
  cell and the message, not our frames.
"""
import contextlib
import copy
import sys
import warnings

import numpy as np

DIAGNOSIS = "This is what you get if you"  # begins the line that names a known mistake; the report counts them
ELEMENTWISE_HINT = "Your function must work elementwise on whole arrays: use np.where or masks, not `if`."


class Forbidden(AssertionError):
    """The learner's code used something the exercise rules out."""


def random_sizes(rng, count=3, low=1, high=6):
    """`count` sizes drawn uniformly from low..high inclusive, as Python ints: (N, D, H) by default, small so checks stay fast."""
    return tuple(int(v) for v in rng.integers(low, high + 1, size=count))


def show(value, limit=6):
    """A short, readable description of a value for a failure message."""
    if isinstance(value, np.ndarray):
        if value.size <= limit:
            return np.array2string(value, precision=6, separator=", ")
        return f"array of shape {value.shape}, first values {np.array2string(value.ravel()[:limit], precision=6, separator=', ')}"
    return repr(value)


def call(fn, name, *args, hint="", error_hint="", forbid_warnings=False, copy_inputs=True):
    """Call the learner's `fn` on copies of `args` and turn every way it can go wrong into a clear message.

    `name` describes the call; `hint` is added when the result is not finite or numpy warns,
    `error_hint` when the function raises. With copy_inputs=False the learner gets the objects themselves.
    """
    __tracebackhide__ = True
    copies = copy.deepcopy(args) if copy_inputs else args
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            try:
                result = fn(*copies)
            except NotImplementedError:
                raise AssertionError(f"{name}: not implemented yet. Replace `raise NotImplementedError()` with your code.") from None
            except Forbidden:
                raise
            except Exception as error:
                advice = ELEMENTWISE_HINT if "truth value of an array" in str(error) else error_hint
                raise AssertionError(f"{name} raised {type(error).__name__}: {error}" + (f"\n{advice}" if advice else "")) from error
    for before, after in zip(args, copies):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
            raise AssertionError(f"{name} changed its input in place; compute a new array and leave the inputs as they were.")
    numeric = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    if numeric and (forbid_warnings or not np.isfinite(np.asarray(result, dtype=float)).all()):
        values = np.asarray(result, dtype=float)
        said = f"returned {show(values)} (numpy warned: {numeric[0]})" if not np.isfinite(values).all() \
            else f"gave the warning '{numeric[0]}'"
        raise AssertionError(f"{name} {said}." + (f"\n{hint}" if hint else ""))
    return result


@contextlib.contextmanager
def built_from(fn, global_name, forbidden, advice):
    """Check that `fn` calls the learner's `global_name` and never calls the `forbidden` functions itself.

    `forbidden` is a list of (module, attribute) pairs. Yields the list of calls made to `global_name`.
    Calls to forbidden functions made inside the learner's `global_name` are allowed.
    A learner's function that lives in the student's kernel applies the rule there.
    """
    __tracebackhide__ = True
    if hasattr(fn, "built_from"):
        with fn.built_from(global_name, forbidden, advice) as calls:
            yield calls
        return
    namespace = fn.__globals__
    allowed = namespace.get(global_name)
    if allowed is None:
        raise AssertionError(f"{fn.__name__} needs your `{global_name}`: run the cell that defines it first.")
    calls = []

    def spy(*args, **kwargs):
        calls.append(args)
        return allowed(*args, **kwargs)

    def guarded(original):
        def guard(*args, **kwargs):
            __tracebackhide__ = True
            frame = sys._getframe(1)
            while frame is not None:  # whoever is nearer up the stack decides: the allowed function, or fn itself
                if frame.f_code is getattr(allowed, "__code__", None):
                    break
                if frame.f_code is fn.__code__:
                    raise Forbidden(advice)
                frame = frame.f_back
            return original(*args, **kwargs)
        return guard

    saved = [(module, attribute, getattr(module, attribute)) for module, attribute in forbidden]
    forbidden_ids = {id(value) for _, _, value in saved}
    saved += [(namespace, key, value) for key, value in namespace.items() if id(value) in forbidden_ids]
    try:
        for target, key, value in saved:
            put(target, key, guarded(value))
        namespace[global_name] = spy
        yield calls
    finally:
        for target, key, value in reversed(saved):
            put(target, key, value)
        namespace[global_name] = allowed


def put(target, key, value):
    """Set a module attribute or a namespace entry."""
    if isinstance(target, dict):
        target[key] = value
    else:
        setattr(target, key, value)


def as_array(got, name, shape):
    """Check that `got` is a numpy array (or number) of the expected shape and return it as a float array."""
    __tracebackhide__ = True
    if got is None:
        raise AssertionError(f"{name} returned None: did you forget `return`?")
    if not isinstance(got, (np.ndarray, np.number, float, int)):
        raise AssertionError(f"{name} returned a {type(got).__name__}; return a numpy array.")
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} returned {type(got).__name__}, not an array of numbers.") from None
    if arr.shape != tuple(shape):
        flipped = " It looks transposed." if len(shape) == 2 and arr.shape == tuple(shape)[::-1] else ""
        raise AssertionError(f"{name} returned shape {arr.shape}, expected {tuple(shape)}.{flipped}")
    return arr


def expect_uniform(values, low, high, name, advice):
    """Raise unless `values` look like independent draws from U(low, high); a fair draw fails once in a million."""
    __tracebackhide__ = True
    x = np.sort((np.ravel(np.asarray(values, dtype=float)) - low) / (high - low))
    n = len(x)
    gap = max(np.max(np.arange(1, n + 1) / n - x), np.max(x - np.arange(n) / n))  # Kolmogorov-Smirnov distance
    bound = np.sqrt(np.log(2e6) / (2 * n))  # P(gap > bound) < 1e-6 for n fair draws
    if gap > bound:
        raise AssertionError(
            f"{name} does not look like draws from U({low:.4g}, {high:.4g}): the share of its {n} values below some "
            f"point differs from the uniform share by {gap:.3f} (fair draws stay within {bound:.3f}), and their mean "
            f"is {np.mean(values):.4g} where a uniform one is {(low + high) / 2:.4g}. {advice}")


def expect_close(got, want, name, rtol=1e-7, atol=1e-10, mistakes=None):
    """Compare `got` with `want`; on a mismatch explain it, naming a known mistake it matches.

    `mistakes` maps a description of a mistake to what that mistake would have returned.
    """
    __tracebackhide__ = True
    want = np.asarray(want, dtype=float)
    dtype = np.asarray(got).dtype
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
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), got.shape))
        lines.append(f"At index {where} it returned {float(got[where])!r}, expected {float(want[where])!r} "
                     f"(off by {abs(float(got[where] - want[where])):.2e}; allowed {atol + rtol * abs(float(want[where])):.1e}).")
    lines.append(f"  expected: {show(want)}")
    lines.append(f"  got:      {show(got)}")
    matched = [description for description, value in (mistakes or {}).items()
               if np.shape(value) == got.shape and np.allclose(got, np.asarray(value, dtype=float), rtol=1e-6, atol=1e-9)]
    relative = np.abs(got - want).max() / max(np.abs(want).max(), 1e-300)
    if matched:
        lines.append(f"{DIAGNOSIS} {matched[0]}.")
    elif dtype != np.float64:
        lines.append(f"Your result has dtype {dtype}: compute in float64 (np.asarray(x, dtype=float)).")
    elif 1e-9 < relative < 1e-5:
        lines.append("Differences this small look like float32 rounding: keep every step in float64.")
    raise AssertionError("\n".join(lines))


def beside(learner, procedure):
    """`procedure`, to be run where the learner's object lives: here while learning, in the kernel at grade time."""
    run_beside = getattr(learner, "run_beside", None)
    return run_beside(procedure) if run_beside else procedure
