"""Technology listings: offers and requests of an organisation (``records``), their projection onto
the wire contract, the published standard (JSON Schema, JSON-LD), and contact requests.

May import: ``app.core``, ``app.models``, ``app.schemas``, ``search.folding``, the shared services,
``accounts``, and ``federation`` for the change feed and duplicate keys a write keeps current.
"""
