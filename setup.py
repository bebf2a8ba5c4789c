# cffi_modules cannot be declared in pyproject.toml yet (python-cffi/cffi#55).
from setuptools import setup

setup(cffi_modules=["src/nodetls/_openssl/_build.py:ffibuilder"])
