"""Function words: the words of a question that say nothing about its topic.

Used where kbgen must tell a question's topic from its grammar: the words a draft's slug is
made of, and whether a question says enough for `kbgen ask` to call it answered.
"""

FUNCTION_WORDS = frozenset(
    "a an the i my me we our you your it its is are am was be do does did can could would should will how what "
    "why when where which who to of in on for with and or but if so there this that from at by as not no".split()
)

# words agents' questions are padded with that carry no topic either
FILLER_WORDS = frozenset(
    "hi hello hey please thanks thank help question questions ask asking have has had need want know tell "
    "about any some just get got one yes ok okay there's i'm it's im".split()
)
