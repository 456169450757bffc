"""Listing search: one interface (``engine``) over two back-ends, SQLite FTS5 (``sqlite``) and
PostgreSQL tsvector (``postgres``), the statements both run (``sql``), facet counts (``facets``),
the Vietnamese text keys both index and query with (``folding``) and the query as concepts with
their synonyms and the two-level matching rule (``query``).

May import: ``app.core``, ``app.models`` and ``app.vocabularies`` only; every other package may
import it.
"""
