"""Workload and ceiling modules: every module here is imported and registers its probes.

See ``bench/registry.py`` for the decorators; one module per area (search, push ingest,
harvest, ...), each naming the ceilings its figures are compared with.
"""
