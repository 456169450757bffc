"""Benchmarks that print each service figure beside a ceiling measured in the same run.

``python -m bench`` (``make bench``) starts the real server on a throwaway database, drives it
with concurrent keep-alive clients on loopback, and reports every workload against its ceilings
as medians of interleaved rounds. Workloads live in ``bench/workloads/``; see
``bench/registry.py`` for how to add one.
"""
