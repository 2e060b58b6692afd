"""Outbound HTTP: the one shared ClientSession, and concurrent lookups with limits."""

from bot.http.gather import Result, gather
from bot.http.session import create_session, user_agent

__all__ = ["Result", "create_session", "gather", "user_agent"]
