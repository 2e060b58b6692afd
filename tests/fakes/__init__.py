"""Fake platform servers speaking the real wire formats over loopback, for adapter tests."""
