"""Deals: a fund's or enterprise's way from interest in an initiative or a listing to a contract
(``rules`` is the table of who may make which move), the moves and their history (``records``),
the links to access requests and contact requests (``subjects``), the wire projection, the
pipeline view and the funnel counts reports read (``funnel``).

May import: ``app.core``, ``app.models``, ``app.schemas``, the shared services (``audit``,
``notifications``, ``vocabularies``), ``accounts`` (principals), ``initiatives`` (visibility and
the access-request flow) and ``listings`` (visibility and contact requests).
"""
