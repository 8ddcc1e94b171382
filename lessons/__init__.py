"""Lesson files (YAML data) and their JSON Schema; see CONTRIBUTING.md, "Adding a lesson"."""
