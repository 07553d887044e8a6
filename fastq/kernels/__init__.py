"""Numba kernels: the only hot code. @njit functions only; no validation, no I/O."""
