"""lrs: a lightweight Learning Record Store.

xAPI 2.0.0 and 1.0.3 plus Learning Locker's REST v2 and Connection APIs, on PostgreSQL or in memory.
"""

__version__ = "0.1.0"
