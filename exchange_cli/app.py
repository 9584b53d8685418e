"""The ``exchange`` command: its group, the platform it acts on, and how it fails and records."""

import sys

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import audit
from exchange.audit import refusals
from exchange.errors import DomainError, is_refusal
from exchange.identity.models import User
from exchange.principal import Principal
from exchange.runtime import Platform

CLI_ACTOR = Principal.system("cli")


@click.group()
@click.pass_context
def main(context: click.Context) -> None:
    """Government data-sharing exchange platform."""
    context.obj = Platform.create()


pass_platform = click.make_pass_decorator(Platform)


def fail(error: DomainError, platform: Platform) -> None:
    """Say what was wrong and stop; a refusal is recorded first, as at every entry point."""
    if is_refusal(error):
        context = click.get_current_context()
        command = " ".join(context.command_path.split()[1:])  # without the program's name
        arguments = {name: str(value) for name, value in context.params.items()}
        refusals.record_refusal(
            platform.database,
            at=platform.clock.now(),
            actor=CLI_ACTOR,
            action=f"cli {command}",
            path=command,
            detail={"message": error.message, "arguments": arguments},
        )
    click.echo(f"error: {error.message}", err=True)
    if error.detail:
        details = error.detail if isinstance(error.detail, list) else [error.detail]
        for line in details:
            click.echo(f"  {line}", err=True)
    sys.exit(2)


def record_operation(platform: Platform, action: str, detail: dict[str, object]) -> None:
    """Audit what an operator did from the command line, in a transaction of its own."""
    audit.record_in_own_transaction(
        platform.database, at=platform.clock.now(), actor=CLI_ACTOR, action=action, detail=detail
    )


def user_named(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.UsageError(f"no user {username}")
    return user
