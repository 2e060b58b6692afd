"""Fake platform servers speaking the real wire formats, for the adapters' tests."""
