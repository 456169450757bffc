"""Listing search: one interface (``engine``) over two back-ends, SQLite FTS5 (``sqlite``) and
PostgreSQL tsvector (``postgres``), the statements both run (``sql``), facet counts (``facets``)
and the Vietnamese text folding both index and query with (``folding``).

May import: ``app.core`` and ``app.models`` only; every other package may import it.
"""
