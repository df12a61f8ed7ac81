"""Generating projects from templates and keeping them up to date (`tfxkit new` / `update`)."""

from tfxkit.project.templates import (
    DEFAULT_TEMPLATE,
    TemplateError,
    TemplateInfo,
    UpdateReport,
    is_up_to_date,
    list_templates,
    new_project,
    update_project,
)

__all__ = ["DEFAULT_TEMPLATE", "TemplateError", "TemplateInfo", "UpdateReport", "is_up_to_date",
           "list_templates", "new_project", "update_project"]
