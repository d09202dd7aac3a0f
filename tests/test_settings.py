"""The plugin's options, read by one set of rules (kbgen/settings.py)."""

from __future__ import annotations

import pytest

from kbgen.errors import KbgenError
from kbgen.settings import read


@pytest.mark.parametrize("value", ["q", "Q", " q ", ""])
def test_the_contact_parameter_cannot_be_the_themes_search_parameter(value: str) -> None:
    with pytest.raises(KbgenError, match="contact_query_param.*reopen the failed search"):
        read({"contact_query_param": value})


def test_the_contact_parameter_defaults_to_question() -> None:
    assert read({})["contact_query_param"] == "question"


@pytest.mark.parametrize("links", [["Privacy"], ["| https://x.example"], ["Bad | javascript:alert(1)"], ["Odd | ht tp://x"]])
def test_footer_links_are_label_and_address(links: list[str]) -> None:
    with pytest.raises(KbgenError, match="footer_links"):
        read({"footer_links": links})


def test_footer_links_accept_web_mail_and_site_addresses() -> None:
    links = ["Privacy | https://cos.example/privacy", "Write to us | mailto:help@cos.example", "Terms | legal/terms/"]
    assert read({"footer_links": links})["footer_links"] == links


@pytest.mark.parametrize("value", ["kb-api.example.com", "javascript:alert(1)", "https://user@kb.example.com",
                                   "https://kb.example.com/?x=1", "ftp://kb.example.com", "https://kb example.com"])
def test_api_url_is_the_services_web_address(value: str) -> None:
    with pytest.raises(KbgenError, match="api_url"):
        read({"api_url": value})


def test_api_url_is_off_by_default_and_takes_an_address() -> None:
    assert read({})["api_url"] == ""
    assert read({"api_url": "https://kb-api.example.com/team/"})["api_url"] == "https://kb-api.example.com/team/"
