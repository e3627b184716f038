"""API keys, scopes, rate limits and daily quotas.

A key is ``zw-`` + 43 random URL-safe characters, shown once at creation and
stored only as its sha256 (keys are long random secrets, so a fast hash is
enough). Each key may carry its own safety filter policy (block, warn or log; see safety.py). Scopes: text, image, audio, video, admin, and unlabelled (the permission to store outputs
without labels, never implied by admin). Quotas per key: requests per
minute (an in-memory sliding window per process), tokens per day and media
seconds per day (daily counters in the ``usage`` table, UTC days).

Authentication policy (setting ``auth``): ``required``, ``off``, or ``auto``
(required when the server binds a non-loopback address). When keys are not
required, requests without a known key (none, or a client's placeholder) act as
the local owner with every scope but admin, while a known key still brings its scopes and
quotas, and a revoked one is refused.

The web studio signs in with a key once (``open_session``): its cookie then holds a
random session id, never the key; the database keeps only the id's sha256 (table
``sessions``), the key it stands for and an expiry (``SESSION_TTL_SECONDS``).
Signing out (``close_session``) or revoking the key ends the session server-side, so
a copied cookie stops working too.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import unicodedata
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from ..errors import AuthenticationError, InvalidRequest, NotFound, PermissionDenied, RateLimited
from .db import add_to_counters, api_keys, sessions, usage
from .genlog import new_id

__all__ = ["SCOPES", "MODALITY_SCOPES", "scope_for", "Quota", "Principal", "KeyStore", "SESSION_TTL_SECONDS"]

SCOPES = ("text", "image", "audio", "video", "admin", "unlabelled", "assistant")
PERMISSIONS = ("admin", "unlabelled", "assistant")  # scopes the local owner does not hold
ASSISTANT = "assistant"  # a widget key's only scope: the chat of the one assistant that holds it, nothing else
SAFETY_POLICIES = ("block", "warn", "log")  # what the safety filter does for a key (studio/safety.py)
ALL_CATEGORIES = "*"  # in a per-category policy: every category it does not name (as safety.ALL_CATEGORIES)
MAX_SAFETY_CATEGORIES = 100  # most categories one key's policy may name
SESSION_TTL_SECONDS = 7 * 24 * 3600  # a studio sign-in lasts a week, unless signed out or its key revoked
SESSION_PREFIX = "zs-"  # session ids look different from keys (zw-...), so neither is mistaken for the other

# The scope a key needs for work of each modality, wherever the work runs (routes, jobs, workflow steps).
MODALITY_SCOPES = {
    "text": "text",
    "embedding": "text",
    "image": "image",
    "speech": "audio",
    "transcription": "audio",
    "music": "audio",
    "video": "video",
}


def scope_for(modality: Any) -> str:
    """The scope work of ``modality`` (a Modality, its value, or a scope name) needs."""
    name = getattr(modality, "value", modality)
    return MODALITY_SCOPES.get(name, name)


class Quota(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests_per_minute: int | None = Field(None, ge=1)
    tokens_per_day: int | None = Field(None, ge=1)
    media_seconds_per_day: float | None = Field(None, gt=0)


@dataclass
class Principal:
    """Who is calling: a key, or the local owner when no key is required."""

    key_id: str | None
    name: str
    scopes: tuple[str, ...]
    quota: Quota = field(default_factory=Quota)
    safety: str | None = None  # the key's safety filter policy (block, warn, log); None: the setting's
    safety_categories: dict[str, str] | None = None  # per category, overriding ``safety`` ({"violence": "warn"})

    @property
    def safety_policy(self) -> str | dict[str, str] | None:
        """The policy the safety filter applies for this key: per category (``"*"``: the others) or one for all."""
        if not self.safety_categories:
            return self.safety
        return {**self.safety_categories, **({ALL_CATEGORIES: self.safety} if self.safety else {})}

    @property
    def anonymous(self) -> bool:
        return self.key_id is None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    @property
    def widget(self) -> bool:
        """A customer-service widget key: it may call its assistant's chat and nothing else."""
        return ASSISTANT in self.scopes

    def require(self, scope: str | None) -> None:
        if self.widget and scope != ASSISTANT:
            raise PermissionDenied(
                f"The key '{self.name}' is a chat widget's key: it can only call its assistant's chat "
                "(POST /v1/assistants/{id}/chat). Use a key with the needed scope for anything else."
            )
        if scope == ASSISTANT and not self.widget and ("text" in self.scopes or self.is_admin):
            return  # the owner and text keys may talk to an assistant too (the studio's live preview)
        if scope and scope not in self.scopes and not self.is_admin:
            raise PermissionDenied(
                f"The key '{self.name}' lacks the '{scope}' scope (it has: {', '.join(self.scopes) or 'none'}). "
                f"Create a key with 'zaowu keys create NAME --scope {scope}'."
            )

    def can_see(self, owner_key_id: str | None) -> bool:
        """Keys see only what they own (jobs, artifacts, runs); admin keys and the local owner see all."""
        return self.anonymous or self.is_admin or owner_key_id == self.key_id


# the local owner may generate anything but holds no admin rights: keys and model installs need an admin
# key (or the CLI), so that nothing reaching the server anonymously, a web page included, can manage it
OWNER = Principal(key_id=None, name="local", scopes=tuple(s for s in SCOPES if s not in PERMISSIONS))


def _today(now: float | None = None) -> str:
    return datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y-%m-%d")


def seconds_to_midnight(now: float | None = None) -> float:
    """Seconds until the daily quotas reset (UTC midnight)."""
    now_dt = datetime.fromtimestamp(now or time.time(), UTC)
    midnight = (now_dt + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now_dt).total_seconds()


def _principal(row: Any) -> Principal:
    return Principal(
        key_id=row.id,
        name=row.name,
        scopes=tuple(row.scopes),
        quota=Quota(**row.quota),
        safety=row.safety,
        safety_categories=dict(row.safety_categories) if row.safety_categories else None,
    )


def _control_character(text: str) -> str | None:
    """The first control, format or separator character in ``text`` (NUL, CR/LF, bidi overrides...), as
    ``U+XXXX``; None when there is none."""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return f"U+{ord(ch):04X}"
    return None


def _split_safety(
    safety: str | Mapping[str, str] | None, known: frozenset[str] | None
) -> tuple[str | None, dict[str, str] | None]:
    """A policy as given (one for all, or per category with ``"*"`` for the rest) as the two stored columns:
    (``safety``, ``safety_categories``). Unknown policies, and categories the filter does not have, are refused."""
    if not isinstance(safety, Mapping):
        _check_safety(safety)
        return safety, None
    if len(safety) > MAX_SAFETY_CATEGORIES:
        raise InvalidRequest(f"A key's policy names at most {MAX_SAFETY_CATEGORIES} categories.", param="safety")
    for category, policy in safety.items():
        if policy not in SAFETY_POLICIES:
            raise InvalidRequest(
                f"Unknown safety policy '{str(policy)[:20]}' for '{category[:40]}'; choose from "
                f"{', '.join(SAFETY_POLICIES)}.",
                param=f"safety.{category[:40]}",
            )
        if category != ALL_CATEGORIES and known is not None and category not in known:
            raise InvalidRequest(
                f"Unknown safety category '{category[:40]}'; the filter's categories are "
                f"{', '.join(sorted(known)) or 'none'} (or '{ALL_CATEGORIES}' for all the others).",
                param=f"safety.{category[:40]}",
            )
    named = {c: p for c, p in safety.items() if c != ALL_CATEGORIES}
    return safety.get(ALL_CATEGORIES), named or None


def _check_safety(safety: str | None) -> None:
    if safety is not None and safety not in SAFETY_POLICIES:
        raise InvalidRequest(
            f"Unknown safety policy '{safety}'; choose from {', '.join(SAFETY_POLICIES)}.", param="safety"
        )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    def __init__(self, engine: Engine, categories: frozenset[str] | None = None):
        self.engine = engine
        self.categories = categories  # the safety filter's categories, which a per-category policy may name
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._reserved: dict[str, int] = defaultdict(int)  # tokens held by generations in flight, per key

    # -- managing keys ---------------------------------------------------------
    def create(
        self,
        name: str,
        scopes: list[str] | tuple[str, ...] = ("text",),
        quota: Quota | None = None,
        *,
        safety: str | Mapping[str, str] | None = None,
    ) -> tuple[str, dict]:
        """A new key; ``safety``: its safety filter policy, one for all categories (block, warn or log; None: the
        setting's) or per category ({"violence": "warn", "*": "block"})."""
        default, categories = _split_safety(safety, self.categories)
        bad = [s for s in scopes if s not in SCOPES]
        if bad or not scopes:
            raise InvalidRequest(f"Unknown scope {bad or '(none)'}; choose from {', '.join(SCOPES)}.", param="scope")
        if ASSISTANT in scopes and len(scopes) > 1:
            raise InvalidRequest(
                f"The '{ASSISTANT}' scope is a chat widget key's only scope; create the widget key alone.",
                param="scope",
            )
        if not name or len(name) > 100:
            raise InvalidRequest("A key needs a name of 1 to 100 characters.", param="name")
        if bad_char := _control_character(name):
            raise InvalidRequest(
                f"A key name may not contain control characters (it has {bad_char}); use letters, "
                "digits, spaces and punctuation.",
                param="name",
            )
        secret = "zw-" + secrets.token_urlsafe(32)
        row = {
            "id": new_id("key"),
            "name": name,
            "prefix": secret[:7],
            "hash": _hash(secret),
            "scopes": list(scopes),
            "quota": (quota or Quota()).model_dump(),
            "created_at": time.time(),
            "safety": default,
            "safety_categories": categories,
        }
        taken = InvalidRequest(f"A key named '{name}' exists; revoke it or choose another name.", param="name")
        try:
            with self.engine.begin() as conn:
                if conn.scalar(sa.select(api_keys.c.id).where(api_keys.c.name == name)):
                    raise taken
                conn.execute(api_keys.insert().values(**row))
        except sa.exc.IntegrityError as exc:  # the same name created concurrently (PostgreSQL's READ COMMITTED)
            raise taken from exc
        return secret, row

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at))
            return [{k: v for k, v in r._mapping.items() if k != "hash"} for r in rows]

    def get(self, name_or_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(api_keys).where(sa.or_(api_keys.c.name == name_or_id, api_keys.c.id == name_or_id))
            ).first()
        if row is None:
            raise NotFound(f"No API key named '{name_or_id}'. List keys with 'zaowu keys list'.", param="key")
        return {k: v for k, v in row._mapping.items() if k != "hash"}

    def set_safety(self, name_or_id: str, safety: str | Mapping[str, str] | None) -> dict[str, Any]:
        """Change a key's safety filter policy: one for all categories (block, warn, log; None: follow the
        ``safety_policy`` setting) or per category ({"violence": "warn", "*": "block"}); replaces the old one."""
        default, categories = _split_safety(safety, self.categories)
        row = self.get(name_or_id)
        with self.engine.begin() as conn:
            conn.execute(
                api_keys.update().where(api_keys.c.id == row["id"]).values(safety=default, safety_categories=categories)
            )
        return self.get(row["id"])

    def revoke(self, name_or_id: str) -> dict[str, Any]:
        """Revoke a key; its studio sessions end with it."""
        row = self.get(name_or_id)
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(api_keys.update().where(api_keys.c.id == row["id"]).values(revoked_at=now))
            conn.execute(
                sessions.update()
                .where(sessions.c.key_id == row["id"], sessions.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return self.get(row["id"])

    # -- the web studio's sessions -------------------------------------------------
    def open_session(self, secret: str, now: float | None = None) -> tuple[str, Principal]:
        """Sign in with a key (AuthenticationError when unknown or revoked): a new random session id for
        the cookie, stored as its sha256 with the key and an expiry."""
        principal = self.authenticate(f"Bearer {secret}", True)
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        now = now or time.time()
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires_at < now))  # forget sessions long over
            conn.execute(
                sessions.insert().values(
                    id=new_id("ses"),
                    hash=_hash(token),
                    key_id=principal.key_id,
                    created_at=now,
                    expires_at=now + SESSION_TTL_SECONDS,
                )
            )
        return token, principal

    def session(self, token: str | None, now: float | None = None) -> Principal | None:
        """The signed-in key of a live session id; None when the id is unknown, expired or signed out,
        or its key revoked."""
        if not token:
            return None
        query = (
            sa.select(api_keys)
            .join(sessions, sessions.c.key_id == api_keys.c.id)
            .where(
                sessions.c.hash == _hash(token),
                sessions.c.revoked_at.is_(None),
                sessions.c.expires_at > (now or time.time()),
                api_keys.c.revoked_at.is_(None),
            )
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return _principal(row)

    def close_session(self, token: str | None) -> None:
        """Sign out: the session id stops working at once."""
        if not token:
            return
        with self.engine.begin() as conn:
            conn.execute(
                sessions.update()
                .where(sessions.c.hash == _hash(token), sessions.c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            )

    # -- authenticating ----------------------------------------------------------
    def principal(self, key_id: str | None) -> Principal:
        """Who a key id stands for, for work running on its behalf (jobs, workflow steps, apps):
        its scopes and quota now. None is the local owner; a revoked or deleted key is refused (401)."""
        if key_id is None:
            return OWNER
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
        if row is None:
            raise AuthenticationError("The API key this work runs for no longer exists.")
        if row.revoked_at is not None:
            raise AuthenticationError(f"The API key '{row.name}' has been revoked.")
        return _principal(row)

    def authenticate(self, authorization: str | None, required: bool) -> Principal:
        if not authorization:
            if required:
                raise AuthenticationError(
                    "This server requires an API key: send 'Authorization: Bearer zw-...'. "
                    "Create one with 'zaowu keys create NAME'."
                )
            return OWNER
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            if not required:
                return OWNER
            raise AuthenticationError("Malformed Authorization header; use 'Authorization: Bearer zw-...'.")
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.hash == _hash(secret.strip()))).first()
        if row is None:
            if not required:  # e.g. the placeholder key OpenAI clients insist on sending
                return OWNER
            raise AuthenticationError("Incorrect API key provided.")
        if row.revoked_at is not None:
            raise AuthenticationError(f"The API key '{row.name}' has been revoked.")
        return _principal(row)

    # -- quotas and usage --------------------------------------------------------
    def admit(self, principal: Principal, now: float | None = None) -> None:
        """Count one request for the key, refusing it with 429 when a limit is reached."""
        if principal.anonymous:
            return
        now = now or time.time()
        q = principal.quota
        if q.requests_per_minute:
            with self._lock:
                window = self._windows[principal.key_id]
                while window and window[0] <= now - 60:
                    window.popleft()
                if len(window) >= q.requests_per_minute:
                    raise RateLimited(
                        f"Rate limit reached for key '{principal.name}': {q.requests_per_minute} requests per minute.",
                        retry_after=window[0] + 60 - now,
                    )
                window.append(now)
        if q.tokens_per_day or q.media_seconds_per_day:
            today = self.usage_for(principal.key_id, days=1)[0]
            tokens = today["prompt_tokens"] + today["completion_tokens"]
            if q.tokens_per_day and tokens >= q.tokens_per_day:
                raise RateLimited(
                    f"Daily token quota of key '{principal.name}' used up ({tokens}/{q.tokens_per_day}).",
                    retry_after=seconds_to_midnight(now),
                    code="insufficient_quota",
                )
            if q.media_seconds_per_day and today["media_seconds"] >= q.media_seconds_per_day:
                raise RateLimited(
                    f"Daily media quota of key '{principal.name}' used up "
                    f"({today['media_seconds']:.0f}/{q.media_seconds_per_day:.0f} s).",
                    retry_after=seconds_to_midnight(now),
                    code="insufficient_quota",
                )
        self.add_usage(principal.key_id, requests=1, now=now)

    # -- token budgets of generations in flight ------------------------------------
    def reserve_tokens(self, key_id: str | None, wanted: int, now: float | None = None) -> int | None:
        """Hold up to ``wanted`` of the tokens a key may still spend today for one generation.

        Returns the tokens granted (what the generation may use, prompt included), or None when
        the key has no daily token quota. Held tokens count as spent for concurrent generations,
        so several at once cannot overshoot the quota together; give them back with
        ``release_tokens`` when the generation has recorded what it really used."""
        if key_id is None:
            return None
        with self.engine.connect() as conn:
            quota = conn.scalar(sa.select(api_keys.c.quota).where(api_keys.c.id == key_id)) or {}
        limit = quota.get("tokens_per_day")
        if not limit:
            return None
        today = self.usage_for(key_id, days=1)[0]
        with self._lock:
            used = today["prompt_tokens"] + today["completion_tokens"] + self._reserved[key_id]
            room = limit - used
            if room <= 0:
                raise RateLimited(
                    f"Daily token quota used up ({used}/{limit} tokens, including generations running now).",
                    retry_after=seconds_to_midnight(now),
                    code="insufficient_quota",
                )
            granted = min(wanted, room)
            self._reserved[key_id] += granted
        return granted

    def release_tokens(self, key_id: str | None, granted: int | None) -> None:
        if key_id is None or not granted:
            return
        with self._lock:
            self._reserved[key_id] = max(0, self._reserved[key_id] - granted)

    def add_usage(
        self,
        key_id: str | None,
        *,
        requests: int = 0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        media_seconds: float = 0.0,
        now: float | None = None,
    ) -> None:
        if key_id is None:
            return
        amounts = dict(
            requests=requests,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            media_seconds=media_seconds,
        )
        with self.engine.begin() as conn:
            add_to_counters(conn, usage, {"key_id": key_id, "day": _today(now)}, amounts)
            conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(last_used_at=time.time()))

    def usage_for(self, key_id: str, days: int = 7) -> list[dict[str, Any]]:
        """Daily usage, today first, one row per day (zeros where nothing was used)."""
        now = time.time()
        wanted = [_today(now - 86400 * i) for i in range(days)]
        with self.engine.connect() as conn:
            rows = {
                r.day: r
                for r in conn.execute(sa.select(usage).where(usage.c.key_id == key_id, usage.c.day.in_(wanted)))
            }
        out = []
        for day in wanted:
            r = rows.get(day)
            out.append(
                {
                    "day": day,
                    "requests": r.requests if r else 0,
                    "prompt_tokens": r.prompt_tokens if r else 0,
                    "completion_tokens": r.completion_tokens if r else 0,
                    "media_seconds": r.media_seconds if r else 0.0,
                }
            )
        return out
