"""Organisations, stores and clients: their use cases and the scopes clients hold."""
