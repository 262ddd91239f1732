"""A restricted unpickler for the Planetoid `ind.*` files (Python-2 pickles of numpy/scipy objects).

A pickle can name any importable callable, so loading an untrusted one is arbitrary code
execution. This unpickler admits only the globals those files actually use.
"""

import collections
import io
import pickle

import numpy as np
import scipy.sparse

try:
    from numpy._core.multiarray import _reconstruct as _np_reconstruct
except ImportError:  # numpy < 2
    from numpy.core.multiarray import _reconstruct as _np_reconstruct

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("scipy.sparse.csr", "csr_matrix"): scipy.sparse.csr_matrix,
    ("scipy.sparse._csr", "csr_matrix"): scipy.sparse.csr_matrix,
    ("collections", "defaultdict"): collections.defaultdict,
    ("builtins", "list"): list,
    ("__builtin__", "list"): list,
}


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a data file") from None


def safe_loads(data: bytes):
    """Unpickle `data` (Python 2 or 3 protocol) admitting only numpy/scipy array types."""
    return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()
