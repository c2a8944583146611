"""Video addresses the body may embed: YouTube and Vimeo, on their privacy-enhanced players.

`video_embed(url)` recognises a watch, share or player address and gives the player address
to load when the reader asks (articles.rendering writes it into the page; static/js/video.js
loads it on click). Nothing else is ever embedded: the Content-Security-Policy's frame-src
names exactly `FRAME_SOURCES`.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

# The players the page may frame (and the CSP allows): YouTube's no-cookie domain and
# Vimeo's player with Do Not Track.
FRAME_SOURCES = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")

_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
_YOUTUBE_PLAYER_HOSTS = {"youtube-nocookie.com", "www.youtube-nocookie.com"}
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
_TIME = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?")


@dataclass(frozen=True)
class VideoEmbed:
    provider: str  # "YouTube" or "Vimeo"
    url: str  # the address as written: the link readers follow without JavaScript
    player_url: str  # what the click loads, in an iframe


def video_embed(url):
    """The VideoEmbed for a YouTube or Vimeo address, or None for any other URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname.lower()
    query = parse_qs(parts.query)
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in _YOUTUBE_HOSTS | _YOUTUBE_PLAYER_HOSTS | {"youtu.be", "www.youtu.be"}:
        video_id = _youtube_id(host, segments, query)
        if not video_id:
            return None
        player = {}
        start = _seconds((query.get("t") or query.get("start") or [""])[0])
        if start:
            player["start"] = start
        return VideoEmbed("YouTube", url.strip(), _with_query(f"{FRAME_SOURCES[0]}/embed/{video_id}", player))
    if host in _VIMEO_HOSTS:
        numbers = [segment for segment in segments if segment.isdigit()]
        if not numbers:
            return None
        video_id = numbers[-1]
        player = {"dnt": "1"}
        # An unlisted video's address carries its key after the id (vimeo.com/123/abcdef).
        after = segments[segments.index(video_id) + 1 :]
        key = (query.get("h") or [after[0] if after and re.fullmatch(r"[0-9a-f]{6,20}", after[0]) else ""])[0]
        if key and re.fullmatch(r"[0-9a-f]{6,20}", key):
            player["h"] = key
        return VideoEmbed("Vimeo", url.strip(), _with_query(f"{FRAME_SOURCES[1]}/video/{video_id}", player))
    return None


def _youtube_id(host, segments, query):
    if host in {"youtu.be", "www.youtu.be"}:
        candidate = segments[0] if segments else ""
    elif segments[:1] == ["watch"]:
        candidate = (query.get("v") or [""])[0]
    elif len(segments) >= 2 and segments[0] in {"embed", "shorts", "live", "v"}:
        candidate = segments[1]
    else:
        return None
    return candidate if _YOUTUBE_ID.fullmatch(candidate) else None


def _seconds(value):
    """YouTube's start time ("90", "1m30s", "1h2m3s") in seconds, or 0."""
    match = _TIME.fullmatch(value or "")
    if not value or not match:
        return 0
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _with_query(url, params):
    return f"{url}?{urlencode(params)}" if params else url
