"""Float comparisons against the scale of the whole quantity compared.

A float32 result differs from its reference by rounding errors of the order
of float32's epsilon times the size of the terms that were summed, not times
the result: an entry that is a sum of cancelling products (a Gram entry, a
convolution output near zero) can be 1e-3 of its terms, and the order in
which a kernel sums them (oneDNN on AVX-512, XLA's threads) moves it by a
relative 1e-4 or more. A comparison relative to each entry (``rtol`` alone)
then fails on one machine and passes on another. So the suite compares
against the scale of the quantity: for an array, ``atol`` proportional to its
largest absolute entry; for a scalar loss, to its magnitude. Comparisons are
exact where the computation is exact (integer counts, shapes, copies).
"""

import numpy as np


def assert_close_to_scale(actual, expected, rel=1e-5, *, scale=None, err_msg=""):
    """Asserts ``|actual - expected| <= rel * scale`` everywhere.

    Args:
        actual: The computed array (anything `np.asarray` accepts, including
            backend tensors that convert to NumPy).
        expected: The reference array, broadcastable to ``actual``.
        rel: The tolerance, as a fraction of ``scale``. The default suits a
            float32 computation against a float64 or float32 reference
            (about 100 float32 epsilons).
        scale: The size the errors are measured against. Defaults to the
            largest absolute entry of ``expected``; pass it where the
            reference is zero or much smaller than the terms it is made of
            (for example the largest input of a difference).
        err_msg: Appended to the failure message.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if scale is None:
        finite = np.abs(expected[np.isfinite(expected)])
        scale = float(finite.max()) if finite.size else 0.0
    if not np.isfinite(scale):
        raise ValueError(f"`scale` must be finite, got {scale}")
    # NaN is never close to anything here (assert_allclose treats NaN == NaN).
    np.testing.assert_allclose(
        actual,
        expected,
        rtol=0.0,
        atol=rel * scale,
        equal_nan=False,
        err_msg=f"tolerance {rel} x scale {scale:.6g}. {err_msg}".strip(),
    )
