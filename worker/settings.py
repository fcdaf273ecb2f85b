"""The one place that reads the environment.

Every process (API, worker, CLI, tests) builds a :class:`Settings` and passes it on; no other module reads
``os.environ``. Variable names are shared with docker-compose, the Dockerfiles and the tests.
"""

from __future__ import annotations

import os
from functools import cached_property, lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.controllers import Controllers, parse_controllers

#: RFC 7518 3.2: an HS256 key at least as long as the hash output.
MIN_JWT_SECRET_BYTES = 32
#: A task's hard time limit comes this long after its soft one (a quarter of it, at most this): time to stop
#: cleanly and record the failure before the process is killed.
HARD_LIMIT_MARGIN_SECONDS = 30


def hard_time_limit(soft_seconds: int) -> int:
    """The hard time limit that goes with a soft one: 120 -> 150, 240 -> 270, 4 -> 5."""
    return soft_seconds + min(HARD_LIMIT_MARGIN_SECONDS, max(1, soft_seconds // 4))


class Settings(BaseSettings):
    """Configuration from environment variables (and an optional ``.env`` file)."""

    # hide_input_in_errors: a validation error must not print the environment (it holds tokens).
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    # Services
    redis_url: str = Field("redis://127.0.0.1:6379/0", alias="REDIS_URL")
    mongo_url: str = Field("mongodb://127.0.0.1:27017", alias="MONGO_URL")
    mongo_db: str = Field("langchain_jenkins", alias="MONGO_DB")
    # How long one database call waits for a server (restarting, failing over) before it fails and the task
    # retries with backoff.
    mongo_timeout_seconds: float = Field(5.0, alias="MONGO_TIMEOUT_SECONDS", gt=0)

    # Jenkins (the worker talks to it; the API never does)
    jenkins_url: str | None = Field(None, alias="JENKINS_URL")
    jenkins_user: str | None = Field(None, alias="JENKINS_USER")
    jenkins_token: SecretStr | None = Field(None, alias="JENKINS_TOKEN")
    jenkins_timeout_seconds: float = Field(15.0, alias="JENKINS_TIMEOUT_SECONDS", gt=0)
    # Retries of one failed Jenkins read (connection error, 5xx; with backoff from 0.5 s). Writes are never
    # retried by the HTTP layer: a POST that may have reached Jenkins is checked, not repeated.
    jenkins_retries: int = Field(3, alias="JENKINS_RETRIES", ge=0, le=10)
    # The URL builds of JENKINS_URL's controller report, when the worker reaches it by another one.
    jenkins_public_url: str | None = Field(None, alias="JENKINS_PUBLIC_URL")
    # More controllers: JSON (or the path of a JSON file) mapping URL -> {"user", "token", "api_url"}.
    jenkins_controllers: str | None = Field(None, alias="JENKINS_CONTROLLERS")
    # Public URL of this API, used in links written into Jenkins build descriptions.
    public_api_url: str | None = Field(None, alias="PUBLIC_API_URL")

    # API authentication: comma-separated static tokens and/or a JWT secret (HS256).
    api_tokens: SecretStr | None = Field(None, alias="API_TOKENS")
    jwt_secret: SecretStr | None = Field(None, alias="JWT_SECRET")
    jwt_ttl_seconds: int = Field(3600, alias="JWT_TTL_SECONDS", gt=0)
    rate_limit: str = Field("120/minute", alias="RATE_LIMIT")
    # Reverse proxies whose X-Forwarded-* headers the API believes (api/proxy.py): a number of hops, or a
    # comma-separated list of proxy addresses/networks. Empty: none (the peer's address is the client's).
    trusted_proxies: str = Field("", alias="TRUSTED_PROXIES")
    # Signed links to analysis pages (worker.links): the key (falls back to JWT_SECRET) and how long they work.
    page_link_secret: SecretStr | None = Field(None, alias="PAGE_LINK_SECRET")
    page_link_ttl_days: int = Field(30, alias="PAGE_LINK_TTL_DAYS", gt=0, le=3650)
    # Feedback through a signed link (no account): per link, and per client address.
    feedback_rate_limit: str = Field("10/hour", alias="FEEDBACK_RATE_LIMIT")
    # How build descriptions are written: "text" (Jenkins' default Plain text formatter) or "html" (the
    # OWASP Markup Formatter, "Safe HTML").
    jenkins_description_format: Literal["text", "html"] = Field("text", alias="JENKINS_DESCRIPTION_FORMAT")
    max_body_bytes: int = Field(1_048_576, alias="MAX_BODY_BYTES", gt=0)
    max_upload_bytes: int = Field(64 * 1_048_576, alias="MAX_UPLOAD_BYTES", gt=0)

    # LLM: any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp). No key and no base URL = no LLM.
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    llm_model: str = Field("gpt-4o-mini", alias="LLM_MODEL")
    # Budgets. The defaults suit a hosted model and a small CPU one (~10-25 tokens/s) alike: replies are short
    # (tools return the facts), one call may be slow, a task is bounded in tokens, seconds and tool calls.
    llm_max_tokens: int = Field(512, alias="LLM_MAX_TOKENS", gt=0, le=32768)  # per reply
    llm_timeout_seconds: float = Field(120.0, alias="LLM_TIMEOUT_SECONDS", gt=0)  # per HTTP call
    llm_max_retries: int = Field(1, alias="LLM_MAX_RETRIES", ge=0)
    llm_context_tokens: int = Field(8192, alias="LLM_CONTEXT_TOKENS", ge=2048)  # the model's window
    llm_token_budget: int = Field(16000, alias="LLM_TOKEN_BUDGET", gt=0)  # per task, prompts included
    llm_task_seconds: float = Field(180.0, alias="LLM_TASK_SECONDS", gt=0)  # per task (< AGENT_TIME_LIMIT)
    llm_max_tool_calls: int = Field(6, alias="LLM_MAX_TOOL_CALLS", ge=1, le=50)  # per task
    # Routing by the model gives up after this and routes offline (the reason is recorded); when the offline
    # router is at least this sure, the model is not asked at all.
    llm_routing_timeout_seconds: float = Field(2.0, alias="LLM_ROUTING_TIMEOUT_SECONDS", gt=0)
    llm_explanation_sentences: int = Field(4, alias="LLM_EXPLANATION_SENTENCES", ge=1, le=20)
    llm_routing_skip_confidence: float | None = Field(None, alias="LLM_ROUTING_SKIP_CONFIDENCE", ge=0, le=1)
    # The model's routing word is used only when the server reports at least this probability for it (logprobs);
    # below, the task routes offline with the reason recorded.
    llm_routing_min_probability: float = Field(0.7, alias="LLM_ROUTING_MIN_PROBABILITY", ge=0, le=1)

    # Analysis
    knowledge_base_dirs: str = Field(
        "", alias="KNOWLEDGE_BASE_DIRS"
    )  # extra rule folders, os.pathsep-separated

    # Worker: Prometheus metrics of all worker processes, served by the worker's main process on this port.
    worker_metrics_port: int | None = Field(None, alias="WORKER_METRICS_PORT", ge=1, le=65535)
    # Set in the environment of multi-process workers; prometheus-client reads it itself (we only check it).
    prometheus_multiproc_dir: str | None = Field(None, alias="PROMETHEUS_MULTIPROC_DIR")
    # Time limits per kind of task (soft: the task is told and stops cleanly; hard: HARD_LIMIT_MARGIN_SECONDS
    # later its process is killed). Short limits let the broker redeliver a dead worker's message soon: on
    # Redis the visibility timeout below must outlast the longest hard limit.
    analysis_time_limit_seconds: int = Field(120, alias="ANALYSIS_TIME_LIMIT_SECONDS", gt=0)
    # Agents, confirmed plans and Jenkins operations (trigger, abort, rebuild, plugin install, waits).
    agent_time_limit_seconds: int = Field(240, alias="AGENT_TIME_LIMIT_SECONDS", gt=0)

    # A task that failed transiently (Jenkins, MongoDB or Redis unreachable) is retried this many times, with
    # exponential backoff from TASK_RETRY_BACKOFF_SECONDS (full jitter, at most 5 minutes), then stored as failed.
    task_max_retries: int = Field(5, alias="TASK_MAX_RETRIES", ge=0, le=20)
    task_retry_backoff_seconds: float = Field(2.0, alias="TASK_RETRY_BACKOFF_SECONDS", gt=0)

    # Where tasks are queued: REDIS_URL when empty, or an ``amqp://`` RabbitMQ (which redelivers a dead
    # worker's messages as soon as its connection drops). Results and progress events stay on REDIS_URL.
    broker_url: str | None = Field(None, alias="BROKER_URL")
    # Redis only: how long an unacknowledged message (its worker died) waits before another worker gets it.
    # Must exceed the longest hard time limit, or a still-running task would be delivered twice.
    broker_visibility_timeout_seconds: int = Field(300, alias="BROKER_VISIBILITY_TIMEOUT_SECONDS", gt=0)
    # Redis only: how often a live worker looks for such messages (every few seconds by default).
    broker_restore_interval_seconds: float | None = Field(None, alias="BROKER_RESTORE_INTERVAL_SECONDS", gt=0)

    # Logging
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    log_format: str = Field("json", alias="LOG_FORMAT")  # json | console

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in {"json", "console"}:
            raise ValueError("LOG_FORMAT must be 'json' or 'console'")
        return value

    @model_validator(mode="after")
    def _limits_fit(self) -> Settings:
        # Refused at start, naming the settings: a visibility timeout shorter than a task would make Redis hand
        # a still-running task to a second worker; an agent budget longer than its time limit would be cut.
        longest = max(self.analysis_time_limit_seconds, self.agent_time_limit_seconds)
        if self.uses_redis_broker and self.broker_visibility_timeout_seconds <= hard_time_limit(longest):
            which = (
                "ANALYSIS_TIME_LIMIT_SECONDS"
                if self.analysis_time_limit_seconds >= self.agent_time_limit_seconds
                else "AGENT_TIME_LIMIT_SECONDS"
            )
            raise ValueError(
                f"BROKER_VISIBILITY_TIMEOUT_SECONDS ({self.broker_visibility_timeout_seconds}) must be longer "
                f"than the longest hard time limit ({hard_time_limit(longest)} s, from {which}={longest}), or "
                "Redis would deliver a still-running task to a second worker"
            )
        if self.llm_task_seconds >= self.agent_time_limit_seconds:
            raise ValueError(
                f"LLM_TASK_SECONDS ({self.llm_task_seconds:g}) must be shorter than AGENT_TIME_LIMIT_SECONDS "
                f"({self.agent_time_limit_seconds}): the agent's own budget ends it cleanly first"
            )
        return self

    @model_validator(mode="after")
    def _controllers_parse(self) -> Settings:
        self.controllers  # noqa: B018  # fail at start, naming the variable, not at the first event
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_trusted_proxies(value)  # fail at start, naming the variable
        return value

    @property
    def trusted_proxy_hops(self) -> int | tuple[IPv4Network | IPv6Network, ...]:
        """TRUSTED_PROXIES parsed: a hop count, or the networks of the trusted proxies."""
        return parse_trusted_proxies(self.trusted_proxies)

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough_for_hs256(cls, value: SecretStr | None) -> SecretStr | None:
        # RFC 7518 3.2: an HS256 key must be at least as long as the hash (32 bytes); a shorter one can be
        # brute-forced offline from any token it signed. Refused at start, naming the variable.
        if value is not None:
            size = len(value.get_secret_value().encode())
            if size < MIN_JWT_SECRET_BYTES:
                raise ValueError(
                    f"JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes (it has {size}); generate one "
                    "with `openssl rand -hex 32`"
                )
        return value

    @cached_property
    def controllers(self) -> Controllers:
        """The Jenkins controllers served (``worker.controllers``); JENKINS_URL's is the default."""
        return parse_controllers(
            self.jenkins_controllers,
            jenkins_url=self.jenkins_url,
            user=self.jenkins_user,
            token=self.jenkins_token.get_secret_value() if self.jenkins_token else None,
            public_url=self.jenkins_public_url,
        )

    @property
    def max_wait_seconds(self) -> float:
        """The longest a task may wait for a build (nine tenths of AGENT_TIME_LIMIT_SECONDS): a longer wait would
        be cut by the time limit; waiting that long belongs to the caller, who can ask again."""
        return self.agent_time_limit_seconds * 0.9

    @property
    def queue_url(self) -> str:
        """The broker tasks are queued on: BROKER_URL, else REDIS_URL."""
        return self.broker_url or self.redis_url

    @property
    def uses_redis_broker(self) -> bool:
        return self.queue_url.startswith(("redis://", "rediss://", "redis+socket://"))

    @property
    def llm_enabled(self) -> bool:
        """True when an OpenAI-compatible server is configured (a key, a base URL, or both)."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def knowledge_base_paths(self) -> list[Path]:
        """Folders of user rule files added to the built-in knowledge base."""
        return [Path(p) for p in self.knowledge_base_dirs.split(os.pathsep) if p.strip()]

    @property
    def page_link_key(self) -> str | None:
        """The key that signs analysis-page links: PAGE_LINK_SECRET, else JWT_SECRET, else none (no links)."""
        secret = self.page_link_secret or self.jwt_secret
        return secret.get_secret_value() if secret else None

    @property
    def page_link_max_age_seconds(self) -> int:
        return self.page_link_ttl_days * 86400

    @property
    def static_api_tokens(self) -> frozenset[str]:
        if self.api_tokens is None:
            return frozenset()
        return frozenset(t.strip() for t in self.api_tokens.get_secret_value().split(",") if t.strip())


def parse_trusted_proxies(value: str) -> int | tuple[IPv4Network | IPv6Network, ...]:
    """``"2"`` -> 2 hops; ``"10.0.0.0/8, 192.168.1.7"`` -> those networks; ``""`` -> 0 (trust no header)."""
    text = value.strip()
    if not text:
        return 0
    if text.isdigit():
        hops = int(text)
        if hops > 10:
            raise ValueError(f"TRUSTED_PROXIES must be at most 10 hops (it is {hops})")
        return hops
    networks = []
    for part in (p.strip() for p in text.split(",")):
        try:
            networks.append(ip_network(part, strict=False))
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES must be a number of hops or a comma-separated list of IP addresses or "
                f"networks; {part!r} is neither"
            ) from None
    return tuple(networks)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for the running process, read once."""
    return Settings()
