"""Generating projects from templates and keeping them up to date (`tfxkit new` / `update`)."""

from tfxkit.project.answers import AnswerError
from tfxkit.project.errors import TemplateError
from tfxkit.project.templates import (
    DEFAULT_TEMPLATE,
    TemplateInfo,
    list_templates,
    new_project,
)
from tfxkit.project.update import UpdateReport, is_up_to_date, update_project

__all__ = ["DEFAULT_TEMPLATE", "AnswerError", "TemplateError", "TemplateInfo", "UpdateReport",
           "is_up_to_date", "list_templates", "new_project", "update_project"]
