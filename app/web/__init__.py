"""Server-rendered pages: the public landing page, the operator dashboard and the API docs.

Owns the Jinja2 templates and static assets under ``templates/`` and ``static/`` (shipped as
package data: no page loads anything from another host). May import services, schemas, core and
the application context; only the application factory imports it.
"""
