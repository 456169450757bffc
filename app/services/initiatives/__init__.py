"""Initiatives: drafting, the open workflow and its stages, reviews, signed receipts,
confidentiality (access requests, NDAs, the authors' access ledger), attachments and search.

May import: ``app.core``, ``app.models``, ``app.schemas``, the shared services (``audit``,
``notifications``, ``vocabularies``), ``accounts`` (roles, keys) and ``ip`` (linked protection).
"""
