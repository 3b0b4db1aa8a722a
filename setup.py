"""Packaging for Domus: the document server and its built-in plugins."""
from setuptools import find_packages, setup

setup(
    name="domus",
    version="0.1.0",
    description="A Domino-style document server for electronic document management",
    python_requires=">=3.11",
    packages=find_packages(include=["core*", "views*", "replication*", "plugins*", "databases*"]),
    package_data={"databases": ["*.toml"], "": ["*.pt", "*.jinja2", "static/*"],
                  "plugins.webui": ["templates/*.jinja2", "locale/*/LC_MESSAGES/*", "babel.cfg"]},
    include_package_data=True,
    install_requires=[
        "pyramid>=2.0",
        "waitress",
        "ZODB>=6",
        "ZEO>=6",
        "zodburi",
        "pyramid_tm",
        "pyramid_retry",
        "transaction",
        "BTrees",
        "persistent",
        "pluggy>=1.5",
        "zope.interface",
        "argon2-cffi",
        "tqdm",
        "requests",  # the replicator's HTTP client
        "lark>=1.2",
        "pyramid_jinja2",
        "Babel",
        "tzdata",  # the web UI's time zone (domus.time_zone) where the system has no zoneinfo
        "nh3",
        "Whoosh",
        "PyStemmer",
        "pypdf",
        "python-docx",
        "odfpy",
    ],
    extras_require={
        # pymorphy3: the lemmatising analyzer the recall test measures against the stemmer.
        "test": ["pytest", "pytest-timeout", "WebTest", "requests", "ruff", "hypothesis",
                 "pymorphy3", "pymorphy3-dicts-ru",
                 "playwright"],
        # py-spy: the sampling profiler bench/profile_writes.py runs on a live server.
        "bench": ["py-spy"],
    },
    entry_points={
        "console_scripts": ["domus = core.cli:main"],
        "paste.app_factory": ["main = core:main"],
    },
)
