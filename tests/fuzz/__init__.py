"""Fuzz targets for nodetls: bounded hypothesis runs in the normal suite, atheris by hand."""
