"""Readable pure-Python twins of fastq/kernels/ (same names, same arguments, same draws).

Plain ints with explicit 64-bit masks, floats, lists and loops: the textbook
algorithms, slow and obvious, against which the compiled kernels are tested
bit for bit.
"""
