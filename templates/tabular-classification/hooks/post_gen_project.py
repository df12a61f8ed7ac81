"""Thin clean-up after generation: drop the CI workflow when it was not wanted, and record the
answers and the template version in `.tfxkit/answers.json` (nothing machine-specific), which
`tfxkit update` reads back as data.

The answers arrive as one JSON string literal, decoded here, never pasted into code.
"""

import json
import shutil
from pathlib import Path

CONTEXT = json.loads({{ cookiecutter | jsonify | tojson }})
RECORDED_PRIVATE = ("_tfxkit_template", "_tfxkit_template_version")

if CONTEXT.get("include_ci") != "yes":
    shutil.rmtree(Path(".github"), ignore_errors=True)

answers = {key: value for key, value in CONTEXT.items()
           if not key.startswith("_") or key in RECORDED_PRIVATE}
Path(".tfxkit").mkdir(exist_ok=True)
Path(".tfxkit", "answers.json").write_text(
    json.dumps(answers, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
