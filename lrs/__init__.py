"""lrs: a lightweight Learning Record Store (xAPI 1.0.3, Learning Locker's REST v2 and Connection APIs)."""

__version__ = "0.1.0"
