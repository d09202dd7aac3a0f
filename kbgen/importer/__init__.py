"""`kbgen import`: bring an existing Markdown help center (Jekyll, Docusaurus, mkdocs) into kb/.

One reader a kind of source (jekyll, docusaurus, mkdocs) finds the pages and the addresses the
old site served them at; `convert` handles Liquid and MDX, `links` resolves every link, `mapping`
names files and maps front matter, `plan` puts it together and `writing` writes it all at once.
Nothing here knows the CLI.
"""

from .model import Problem, Source, SourcePage
from .plan import KIND_NAMES, ImportResult, import_help_center, read_source

__all__ = ["KIND_NAMES", "ImportResult", "Problem", "Source", "SourcePage", "import_help_center", "read_source"]
