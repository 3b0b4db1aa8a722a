"""Database templates shipped with Domus, and the sample documents of the demo.

Each ``*.toml`` file in this folder is one template: forms, views, roles and the
default ACL of a database, as data.  ``core.templates`` reads them; plugins add
their own through the ``register_templates`` hook.
"""
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent
