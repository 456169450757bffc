"""IP protection: records and their ST.27 legal-status events, the derived summary status, the
statutory clock and deadline rules, deadline alerts, the iCalendar feed, office imports, and the
links from records to the initiatives and listings they protect.

May import: ``app.core``, ``app.models``, ``app.schemas``, the shared services, ``jobs`` and
``notifications`` (alerts), ``listings`` and ``federation.duplicates`` (links). ``domain``,
``rules``, ``deadlines`` and ``status`` are pure: no database, no clock, no settings.
"""
