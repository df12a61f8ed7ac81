"""Validate the answers before anything is generated; a bad answer stops generation (and
cookiecutter removes the half-made directory) with a message saying what to change.

The answers arrive as data: one JSON string literal, decoded here, never pasted into code.
The rules are the template's own (`_tfxkit_rules` in cookiecutter.json); `tfxkit new` checks
the same rules before it renders anything, this hook covers plain `cookiecutter` runs.
"""

import json
import re
import sys

CONTEXT = json.loads({{ cookiecutter | jsonify | tojson }})
TEMPLATE_SYNTAX = ("{" + "{", "{" + "%", "{" + "#")
DERIVED = ("project_slug", "package_name", "pipeline_name")

errors = []
for key, value in CONTEXT.items():
    if key.startswith("_") or isinstance(value, (list, dict)):
        continue
    text = str(value)
    found = [mark for mark in TEMPLATE_SYNTAX if mark in text]
    if found:
        errors.append(f"  answer {key!r} contains template syntax ({found[0]!r}); answers are "
                      "taken literally and may not contain " + " or ".join(TEMPLATE_SYNTAX))
    elif any(ord(char) < 32 or ord(char) == 127 for char in text):
        errors.append(f"  {key} must be a single line of text (found a line break or control "
                      f"character in {text!r}).")
    elif key in CONTEXT.get("_tfxkit_rules", {}):
        pattern, expected = CONTEXT["_tfxkit_rules"][key]
        if not re.fullmatch(pattern, text):
            derived = " (derived from project_name; pass it explicitly)" if key in DERIVED else ""
            errors.append(f"  {key}={text!r}{derived}: expected {expected}.")
if errors:
    print("ERROR: the template answers are not valid; nothing was generated:", file=sys.stderr)
    print("\n".join(errors), file=sys.stderr)
    print("Fix: answer again, or pass the answer as key=value, e.g. "
          "`tfxkit new project_slug=my_project` or `cookiecutter ... project_slug=my_project`.",
          file=sys.stderr)
    sys.exit(1)
