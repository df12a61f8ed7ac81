"""Validate the answers before anything is generated; a bad answer stops generation (and
cookiecutter removes the half-made directory) with a message saying what to change."""

import json
import re
import sys

ANSWERS = json.loads("""{{ cookiecutter | jsonify }}""")

RULES = {
    "project_slug": (r"^[a-z][a-z0-9_]{1,49}$",
                     "lowercase letters, digits and '_', starting with a letter (e.g. penguin_species)"),
    "package_name": (r"^[a-z][a-z0-9-]{1,49}$",
                     "lowercase letters, digits and '-', starting with a letter"),
    "pipeline_name": (r"^[a-z][a-z0-9-]{0,62}$",
                      "lowercase letters, digits and '-', starting with a letter (Kubeflow's rule)"),
    "author_email": (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address"),
    "owner_data": (r"^(@[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$",
                   "a GitHub @user, @org/team or an email address"),
    "kubeflow_image": (r"^[a-z0-9.:/_-]+(:[A-Za-z0-9._-]+)?$", "an image reference like ghcr.io/org/name:tag"),
    "kubeflow_host": (r"^https?://[^\s]+$", "an http(s) URL"),
    "python_version": (r"^3\.11$", "3.11 (the Python the tfxkit stack supports)"),
}
for owner in ("owner_transform", "owner_model", "owner_evaluation"):
    RULES[owner] = RULES["owner_data"]

errors = []
for key, (pattern, expected) in RULES.items():
    value = str(ANSWERS.get(key, ""))
    if not re.match(pattern, value):
        derived = " (derived from project_name; pass it explicitly)" if key in (
            "project_slug", "package_name", "pipeline_name") else ""
        errors.append(f"  {key}={value!r}{derived}: expected {expected}.")
if errors:
    print("ERROR: the template answers are not valid; nothing was generated:", file=sys.stderr)
    print("\n".join(errors), file=sys.stderr)
    print("Fix: answer again, or pass the answer as key=value, e.g. "
          "`tfxkit new project_slug=my_project` or `cookiecutter ... project_slug=my_project`.",
          file=sys.stderr)
    sys.exit(1)
