"""Operations reports: monthly and quarterly figures of the portal and the exchange.

Owns the report periods, the figures (initiative workflow, stage times, IP records and their
pendency, listings, sync health, deal funnel), their renderings (JSON, CSV, HTML, XLSX), the
server-side SVG charts drawn from them and the public subset published as open data.

Reads the tables of the other domains and may import their services for shared rules (workflow
stage targets, the IP statutory clock); nothing in the domain imports reports. Imports
schemas, models and core; never api or web.
"""
