"""Learning Locker's Connection API: cursor pages over any model, independent of HTTP."""
