"""wiki: the summary of a Wikipedia page, as a card with its link and picture.

``!wiki Ada Lovelace`` asks the REST summary endpoint of the configured wiki. A
disambiguation page says the term may mean several things and links the list; a
missing page says so and, when the title search finds close matches, offers them
as buttons: a click turns the answer into that page's summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot import Button, Card, ConfigError, Context, FetchError, Plugin, Reply, UsageError, UserError

SUMMARY_TTL = 3600.0  # a page's lead changes rarely; an hour keeps repeats free
EXTRACT_CHARS = 500  # a paragraph: enough to answer, short enough for chat
TITLE_CHARS = 255  # MediaWiki's limit (in bytes; characters is close enough here)
SUGGESTIONS = 3
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»"}
LANGUAGE = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class WikiConfig:
    """``WIKI_*`` settings: which Wikipedia, by language, or any MediaWiki by URL."""

    language: str = "en"
    url: str = ""

    def __post_init__(self) -> None:
        if not LANGUAGE.fullmatch(self.language.lower()):
            raise ConfigError(
                "WIKI_LANGUAGE", f"must be a language code like en, got {self.language!r}"
            )
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ConfigError("WIKI_URL", f"must be an http(s) URL, got {self.url!r}")

    @property
    def base(self) -> str:
        """The wiki's root URL: ``WIKI_URL``, else the language's Wikipedia."""
        return (self.url or f"https://{self.language.lower()}.wikipedia.org").rstrip("/")


plugin = Plugin("wiki", help="Wikipedia summaries", config=WikiConfig)


@plugin.command(help="The summary of a Wikipedia page: wiki <term>")
async def wiki(ctx: Context, *, term: str) -> None:
    term = unquote(term)
    if not term:
        raise UsageError("missing term")
    if len(term) > TITLE_CHARS:
        raise UserError(f"That is too long for a title ({TITLE_CHARS} characters at most).")
    await ctx.reply(await lookup(ctx, term))


@plugin.on_action("page")
async def suggested(ctx: Context, value: str) -> None:
    """A suggestion's button: the answer becomes that page's summary."""
    await ctx.update(await lookup(ctx, value[:TITLE_CHARS]))


async def lookup(ctx: Context, term: str) -> Reply:
    """The summary card of ``term``'s page, or why there is none (with suggestions)."""
    base = ctx.config.base
    try:
        page = await ctx.fetch_json(
            f"{base}/api/rest_v1/page/summary/{quote(term.replace(' ', '_'), safe='')}",
            cache_ttl=SUMMARY_TTL,
            service="Wikipedia",
        )
    except FetchError as exc:
        if exc.status != 404:
            raise
        return await not_found(ctx, term)
    return Reply(card=summary_card(page, base))


def unquote(term: str) -> str:
    """The term without surrounding quotes, its spaces collapsed: ``"New  York"`` → New York."""
    term = term.strip()
    if len(term) >= 2 and QUOTES.get(term[0]) == term[-1]:
        term = term[1:-1]
    return " ".join(term.split())


def summary_card(page: dict[str, Any], base: str) -> Card:
    """The card for one summary: the extract, or what kind of page it is instead."""
    title = page.get("title") or "?"
    url = page.get("content_urls", {}).get("desktop", {}).get("page")
    url = url or f"{base}/wiki/{quote(title.replace(' ', '_'), safe='')}"
    kind = page.get("type", "standard")
    if kind == "disambiguation":
        text = f"“{title}” may refer to several things; the page lists them."
    else:
        extract = trim(page.get("extract") or "")
        description = page.get("description")
        text = "\n\n".join(
            part for part in (f"*{description}*" if description else "", extract) if part
        )
        text = text or "No summary for this page; it is one click away."
    thumbnail = page.get("thumbnail", {}).get("source")
    image = thumbnail if kind != "disambiguation" else None
    return Card(title=title, url=url, description=text, image=image, footer="From Wikipedia")


def trim(text: str, limit: int = EXTRACT_CHARS) -> str:
    """``text`` cut to ``limit`` characters: at a sentence end if one is in the second
    half, else at a word, with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= limit // 2:
        return cut[: end + 1]
    space = cut.rfind(" ", 0, limit)
    return cut[: space if space > 0 else limit].rstrip(",;:") + "…"


async def not_found(ctx: Context, term: str) -> Reply:
    """No page, and the nearest titles as buttons if the title search finds any. The
    search is a courtesy: when it fails, the answer simply has no suggestions."""
    answer = Reply(f"No Wikipedia page for “{term}”.")
    try:
        found = await ctx.fetch_json(
            f"{ctx.config.base}/w/rest.php/v1/search/title",
            params={"q": term, "limit": SUGGESTIONS},
            cache_ttl=SUMMARY_TTL,
            service="Wikipedia",
        )
        titles = [p["title"] for p in found.get("pages", []) if p.get("title")]
    except (FetchError, AttributeError, KeyError, TypeError) as exc:
        ctx.log.debug("title search for %r failed: %s", term, exc)
        return answer
    if not titles:
        return answer
    buttons = [Button(_label(t), "page", t) for t in dict.fromkeys(titles)]
    return Reply(f"{answer.text} Did you mean one of these?", buttons=buttons)


def _label(title: str) -> str:
    return title if len(title) <= 75 else title[:74] + "…"  # Slack's button text limit
