"""Widgets that render the core's objects: checklist, evidence, plan preview, command log, forms."""
