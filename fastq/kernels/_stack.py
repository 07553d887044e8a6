"""Arrays for the hot loops: fixed-size arrays on the stack, and borrowed views.

``stack_empty(n, dtype)`` (n a compile-time constant) allocates on the
function's stack frame: no allocator call, no reference counting, and LLVM
may keep the elements in registers. The array must not outlive the function
that creates it (never return it). Without the JIT it is ``np.empty``.
"""
import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _stack_empty(typingctx, n, dtype):
    if not isinstance(n, types.IntegerLiteral):
        return None
    count, item = n.literal_value, dtype.dtype
    array_type = types.Array(item, 1, "C")

    def codegen(context, builder, signature, args):
        data_type = context.get_data_type(item)
        data = cgutils.alloca_once(builder, data_type, size=count)
        itemsize = context.get_constant(types.intp, context.get_abi_sizeof(data_type))
        array = context.make_array(array_type)(context, builder)
        context.populate_array(
            array, data=data,
            shape=cgutils.pack_array(builder, [context.get_constant(types.intp, count)]),
            strides=cgutils.pack_array(builder, [itemsize]),
            itemsize=itemsize, meminfo=None)
        return array._getvalue()

    return array_type(n, dtype), codegen


if numba.config.DISABLE_JIT:
    def stack_empty(n, dtype):
        return np.empty(n, dtype)
else:
    stack_empty = _stack_empty


@intrinsic
def _borrow(typingctx, array):
    """The same array without its reference count (meminfo NULL)."""
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        view = context.make_array(array)(context, builder, value=args[0])
        view.meminfo = context.get_constant_null(types.MemInfoPointer(types.voidptr))
        return view._getvalue()

    return array(array), codegen


if numba.config.DISABLE_JIT:
    def borrow(array):
        return array
else:
    borrow = _borrow
borrow.__doc__ = """A view of ``array`` that is not reference counted, for the hot loops.

Passing an array to a function that LLVM does not inline costs two atomic
reference-count updates per call; a borrowed array costs none. The caller
must keep the original alive while the view is used (the kernels' arguments
are alive for the whole call)."""
