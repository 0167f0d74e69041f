"""The pure core of the xAPI Statement resource (2.0.0 and 1.0.3): no HTTP, no database.

``intake`` (a PUT/POST body to validated statements and attachment data), ``validate``
(structure and formats), ``normalize`` (LRS-assigned properties), ``formats`` (exact / ids /
canonical, with ``languages``), ``conflict`` (statement comparison and hash), ``queriables``
(index fields), ``attachments`` (multipart/mixed), ``signature`` (JWS), and the small helpers
``datatypes``, ``timestamps`` and ``agents``; ``versions`` holds what differs between
the two versions.
"""
