"""Command groups that import a command's module only when that command is used, so that
`ramp --help` and each command load only what they need (click's pattern for lazily loaded
subcommands). Nothing here loads the database or an area."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class Lazy:
    """A command known by its import path ("module:attribute") and its help, not yet loaded."""

    path: str
    help: str


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is run or its own
    help is asked for (click's pattern for lazily loaded subcommands). The group's help lists
    them from their `Lazy` help, importing none."""

    def __init__(self, *args, lazy_subcommands: dict[str, Lazy] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy_subcommands:
            self.add_command(load_command(self.lazy_subcommands[name].path), name)
        if name in self.commands:
            return self.commands[name]
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their short help, as click lists them, without loading any."""
        commands = {
            name: self.commands.get(name)
            or click.Command(name, help=self.lazy_subcommands[name].help)
            for name in self.list_commands(ctx)
        }
        shown = [name for name, command in commands.items() if not command.hidden]
        limit = formatter.width - 6 - max((len(name) for name in shown), default=0)
        rows = [(name, commands[name].get_short_help_str(limit)) for name in shown]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def load_command(path: str) -> click.Command:
    """The command at "module:attribute", its module imported now."""
    module, _, attribute = path.partition(":")
    # The one place commands are imported by name: what makes `ramp --help` and each command
    # load only the areas they use.
    return getattr(importlib.import_module(module), attribute)
