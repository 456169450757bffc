"""Discovery: fund and enterprise profiles, the commercial-potential score of initiatives and
listings, discovery queries, matching (offers and requests, initiatives and funds) and, built on
them, watchlists and saved searches with their alerts.

May import: ``initiatives`` (visibility, search, projection), ``listings`` (records, projection),
``search`` (the listing engine and folding), ``ip`` (records and their derived status),
``notifications`` and ``jobs``. Nothing imports discovery but the API, the demo and the handlers.
Only what the caller may read feeds what the caller sees: published initiatives' public fields,
listings open to everyone, aggregate review scores of published initiatives, counts of interest.
"""
