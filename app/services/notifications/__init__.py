"""Telling people: in-app notifications (``inbox``) and signed webhook deliveries
(``webhooks``), both written in the caller's transaction so they happen only if it commits.

May import: ``app.core``, ``app.models``, ``app.schemas`` and ``jobs``.
"""
