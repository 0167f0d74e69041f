"""The soak run (``make soak``): mixed load against a real server for a set time."""
