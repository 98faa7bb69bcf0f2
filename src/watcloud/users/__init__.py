"""Declarative, transactional manager for local Linux users and groups.

`config` validates the desired state, `files` reads and writes the four account files
byte-for-byte, `plan` decides (pure), `apply` writes under the shadow-utils locks.
"""
