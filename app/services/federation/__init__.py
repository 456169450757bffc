"""Federation between exchanges: the exchanges registry and their machine clients, push, the
version rules that apply a record, the commit-ordered change feed, harvesting peers,
cross-exchange duplicates, and the OAI-PMH and DCAT views of the catalogue.

May import: ``app.core``, ``app.models``, ``app.schemas``, ``listings`` (records and their
projection), ``search.folding``, ``jobs`` and the shared services.
"""
