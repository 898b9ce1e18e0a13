"""Benchmarks: codec vs Digi's parser, emulator data path, suite overhead, scale.

``python -m bench`` (or ``tox -e bench``) runs them all, prints a table and rewrites
``bench/README.md``. Each benchmark module has ``NAME``, ``TITLE`` and ``run(quick) -> BenchResult``.
"""
