"""The pinned Go-built tools: their versions (pins.env), their build recipe (build.sh) and the cache.

Shipped inside the package, so an installed wizard (pipx, uv tool, a plain venv) can install flux,
kubeseal and age by itself; the testbed (tests/testbed) reads the same pins and recipe from here.
"""
