"""Options of the kbgen mkdocs plugin, as given under `plugins: - kbgen:` in mkdocs.yml."""

from __future__ import annotations

from mkdocs.config import config_options as opt
from mkdocs.config.base import Config


class KbgenConfig(Config):
    enabled = opt.Type(bool, default=True)

    # Where the knowledge base lives, relative to mkdocs.yml
    kb_dir = opt.Type(str, default="kb")
    gaps_dir = opt.Type(str, default="gaps")
    cache_dir = opt.Type(str, default=".kbgen-cache")

    # Validation: refuse to build when `kbgen check` finds errors
    strict = opt.Type(bool, default=True)

    # "Still need help?" block on every article, and the path offered when search finds nothing
    contact_url = opt.Type(str, default="")
    contact_title = opt.Type(str, default="Still need help?")
    contact_text = opt.Type(str, default="Our support team is happy to help.")
    contact_label = opt.Type(str, default="Contact support")
    contact_query_param = opt.Type(str, default="q")

    # Home page and article pages
    featured = opt.ListOfItems(opt.Type(str), default=[])
    featured_count = opt.Type(int, default=6)
    related_count = opt.Type(int, default=5)

    # Navigation: categories only, so page size stays flat as the knowledge base grows
    nav = opt.Type(bool, default=True)

    # Gap notes: e-mail domains that are the company's own and are not redacted (support@...)
    public_email_domains = opt.ListOfItems(opt.Type(str), default=[])

    # Matching for `kbgen ask`, `log`, `report` and `draft`: semantic (sentence encoder and lexical
    # index, fused) or lexical (the lexical index alone); KBGEN_ENGINE overrides it
    engine = opt.Choice(("semantic", "lexical"), default="semantic")

    # Site search: weight of the customers' phrasings (title is 1000, body text 1)
    search_questions_boost = opt.Type((int, float), default=500)
