"""Outbound HTTP: the one shared ClientSession, JSON lookups on it, and fan-outs with limits."""

from bot.http.fetch import Fetcher, FetchPolicy, retry_after
from bot.http.gather import Result, gather
from bot.http.session import create_session, user_agent

__all__ = [
    "FetchPolicy",
    "Fetcher",
    "Result",
    "create_session",
    "gather",
    "retry_after",
    "user_agent",
]
