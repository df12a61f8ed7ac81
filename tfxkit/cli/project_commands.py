"""`tfxkit templates`, `new` and `update`: start a project from a template, keep it current."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tfxkit.cli.common import UsageError, add_verbose_option


def cmd_templates(args: argparse.Namespace) -> int:
    """`tfxkit templates`: the shipped templates, one line each."""
    from tfxkit.project import DEFAULT_TEMPLATE, list_templates

    for info in list_templates():
        default = " (default)" if info.name == DEFAULT_TEMPLATE else ""
        print(f"{info.name:<26} {info.description}{default}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    """`tfxkit new`: generate a project from a template."""
    from tfxkit.project import DEFAULT_TEMPLATE, new_project

    template, answers = args.template, list(args.answers or [])
    if template and "=" in template:  # `tfxkit new key=value` with the default template
        answers.insert(0, template)
        template = None
    values: dict[str, Any] = {}
    for pair in answers:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"Template answers are key=value, found {pair!r}. Example: "
                             f"tfxkit new {DEFAULT_TEMPLATE} project_name='Churn Model'")
        values[key] = value
    no_input = args.no_input or bool(values)
    if not no_input and not sys.stdin.isatty():
        print("tfxkit: standard input is not a terminal, so no questions are asked: every "
              "answer takes the template's default (pass answers as key=value, or run in a "
              "terminal).", file=sys.stderr)
        no_input = True
    project = new_project(template or DEFAULT_TEMPLATE, args.output_dir, values,
                          no_input=no_input)
    print(f"Created {project}")
    print(f"Next: cd {project} && tfxkit run")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    """`tfxkit update`: merge template changes into this project (or --check)."""
    from tfxkit.project import is_up_to_date, update_project

    if args.check:
        if is_up_to_date(args.project_dir, args.template):
            print("The project is up to date with its template.")
            return 0
        print("The project is behind its template: run `tfxkit update`.", file=sys.stderr)
        return 1
    report = update_project(args.project_dir, args.template)
    if report.up_to_date:
        print("Nothing to do: the project is up to date with its template.")
        return 0
    print(f"Template {report.from_version or '?'} -> {report.to_version or '?'}:")
    for name in report.changed_files:
        if name not in report.conflicts:
            print(f"  updated  {name}")
    for note in report.notes:
        print(f"  note: {note}")
    if report.conflicts:
        print("Conflicts (resolve each, `git add` it, then `git commit`; or undo the update "
              "with `git merge --abort`):", file=sys.stderr)
        for name in report.conflicts:
            print(f"  CONFLICT {name}: {report.details.get(name, 'not merged')}",
                  file=sys.stderr)
        return 1
    print("Template changes merged and staged; review with `git diff --cached`, then "
          "`git commit` (or undo with `git merge --abort`).")
    return 0


def take_late_positionals(args: argparse.Namespace, extras: list[str]) -> list[str]:
    """Put positionals that came after `new`'s options (argparse leaves them over) where they
    belong: `KEY=VALUE` are answers, another word is the template when none was given yet.
    Returns what is left: unknown options."""
    answers, unknown = list(args.answers or []), []
    for word in extras:
        if word.startswith("-"):
            unknown.append(word)
        elif "=" not in word and (args.template is None or "=" in args.template):
            if args.template is not None:  # `tfxkit new key=value ... TEMPLATE`
                answers.insert(0, args.template)
            args.template = word
        else:
            answers.append(word)
    args.answers = answers
    return unknown


def add_commands(sub: Any) -> None:
    """Add `templates`, `new` and `update` to the `tfxkit` subcommands."""
    tpl = sub.add_parser("templates", help="list the project templates")
    add_verbose_option(tpl)
    tpl.set_defaults(handler=cmd_templates)

    new = sub.add_parser("new", help="generate a project from a template",
                         description="Generate a project from TEMPLATE (default "
                                     "tabular-classification) with key=value answers; answers "
                                     "and options may come in any order.")
    new.add_argument("template", nargs="?", help="template name (see `tfxkit templates`) or path")
    new.add_argument("answers", nargs="*", metavar="KEY=VALUE", help="template answers")
    new.add_argument("-o", "--output-dir", default=".", help="where to create the project")
    new.add_argument("--no-input", action="store_true", help="do not prompt; use defaults")
    add_verbose_option(new)
    new.set_defaults(handler=cmd_new)

    upd = sub.add_parser("update", help="merge template changes into this project")
    upd.add_argument("project_dir", nargs="?", default=".", help="project folder (default .)")
    upd.add_argument("--check", action="store_true",
                     help="only check; exit 1 when the project is behind its template")
    upd.add_argument("--template", help="template repository to update from (default: recorded)")
    add_verbose_option(upd)
    upd.set_defaults(handler=cmd_update)
