"""Power-outage notifier: PlantOps notices in, verified announcements out.

Pure core: `parse` (notice -> sections), `classify` (relevance with reasons), `when` (windows),
`announce` (the announcement). Shell: `sources` (web, mail), `state` (SQLite), `watch`, `cli`.
"""
