"""``jenkins-ai ask``: run the supervisor in-process, offline or with the configured LLM."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from worker.agents.models import RoutingDecision, TaskResult

if TYPE_CHECKING:
    from worker.confirmations import ConfirmationStore
    from worker.settings import Settings


def _parse_context(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values that are JSON (true, 42, {"A": "1"}) are decoded, others stay strings."""
    context: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--context")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        context[key.strip()] = value
    return context


def _print_routing(decision: RoutingDecision) -> None:
    how = f"confidence {decision.confidence:.2f}, {decision.method}"
    click.echo(f"Routing: {decision.agent} ({how}): {decision.reason}")


def _print_result(result: TaskResult) -> None:
    _print_routing(result.routing)
    if result.routing.fallback:
        click.echo(f"(Routed offline: {result.routing.fallback}.)")
    if result.handoffs:
        click.echo("Hand-offs: " + "; ".join(result.handoffs))
    click.echo("")
    click.echo(result.answer)
    if result.actions:
        click.echo("")
        click.echo("Actions:")
        for action in result.actions:
            state = "done" if action.get("done") else "not done (needs confirmation)"
            click.echo(f"  {action['action']} {action['target']}: {state} - {action.get('detail', '')}")
    if result.usage.llm_calls:
        u = result.usage
        click.echo(
            f"\nLLM: {u.llm_calls} calls, {u.input_tokens}+{u.output_tokens} tokens, ${u.cost_usd:.6f}"
        )


JSON_KEYS = (
    "agent",
    "confidence",
    "answer",
    "actions",
    "artifacts",
    "routing",
    "status",
    "plan",
    "confirmation",
    "notes",
)


@click.command("ask")
@click.argument("text", required=False, default="")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one object {agent, confidence, answer, actions, artifacts, routing, status, plan, confirmation, notes}.",
)
@click.option(
    "--context",
    "context_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help='Task context, repeatable: job=api-service, build=42, confirm=true, parameters=\'{"A": "1"}\'.',
)
@click.option(
    "--route-only", is_flag=True, help="Only route the task (no Jenkins or LLM call beyond routing)."
)
@click.option(
    "--offline", is_flag=True, help="Ignore a configured LLM: local router and deterministic specialists."
)
@click.option(
    "--confirm",
    "token",
    metavar="TOKEN",
    help="Run exactly the actions a previous answer planned (its single-use confirmation token); no TEXT.",
)
def ask(
    text: str,
    output_format: str,
    context_pairs: tuple[str, ...],
    route_only: bool,
    offline: bool,
    token: str | None,
) -> None:
    """Ask the assistant to do something in plain words, e.g. "why did api-service #42 fail".

    Actions that change Jenkins (trigger, rebuild, abort, plugin installs, new jobs) are only planned: the
    answer says what would be done and gives a token; `jenkins-ai ask --confirm TOKEN` then does exactly that.
    """
    from worker.agents import AgentServices, build_chat_model, route, run_confirmed, run_task
    from worker.settings import get_settings

    if token is not None and (text.strip() or route_only):
        raise click.BadParameter("give either TEXT or --confirm TOKEN, not both", param_hint="--confirm")
    if token is None and not text.strip():
        raise click.BadParameter("must not be blank", param_hint="TEXT")
    context = _parse_context(context_pairs)
    settings = get_settings()
    llm = None if offline or token is not None else build_chat_model(settings)
    if route_only:
        try:
            decision = route(text, context, llm=llm)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--context") from exc
        if output_format == "json":
            click.echo(json.dumps(decision.model_dump(mode="json", exclude={"scores"}, exclude_none=True)))
        else:
            _print_routing(decision)
        return

    store = _confirmation_store(settings)
    plan = None
    if token is not None:
        if store is None:
            raise click.ClickException(f"cannot reach Redis at {settings.redis_url}, where plans are kept")
        plan = store.claim(token.strip())
        if plan is None:
            raise click.BadParameter(
                "unknown, expired or already used confirmation token", param_hint="--confirm"
            )
    jenkins = None
    if settings.jenkins_url:
        from worker.jenkins import JenkinsClient

        jenkins = JenkinsClient.from_settings(settings)
    services = AgentServices(settings=settings, jenkins=jenkins, confirmations=store)
    try:
        if plan is not None:
            result = run_confirmed(plan, services=services, store=store)
        else:
            result = run_task(text, context, services=services, llm=llm)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    finally:
        if jenkins is not None:
            jenkins.close()
    if output_format == "json":
        data = result.model_dump(mode="json")
        click.echo(json.dumps({k: data[k] for k in JSON_KEYS}))
    else:
        _print_result(result)


def _confirmation_store(settings: Settings) -> ConfirmationStore | None:
    """Plans awaiting confirmation live in Redis; ``None`` (plans shown without a token) when unreachable."""
    import redis

    from worker.confirmations import ConfirmationStore

    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        return None
    return ConfirmationStore(client)
