# cffi_modules cannot be declared in pyproject.toml yet (python-cffi/cffi#55).
# The binding uses only the stable ABI (_build.py: py_limited_api=True), so one wheel,
# tagged cp311-abi3, serves CPython 3.11 and every later version.
from setuptools import setup

setup(
    cffi_modules=["src/nodetls/_openssl/_build.py:ffibuilder"],
    options={"bdist_wheel": {"py_limited_api": "cp311"}},
)
