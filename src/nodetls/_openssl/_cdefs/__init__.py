"""cdef fragments for the binding; loaded by ``_build.py``, never imported at run time."""
