"""Who a sentence attributes its words to: a grammar rule, no name lists (real seed sentences)."""

from __future__ import annotations

import pytest

from assistant.answer.attribution import speaker_of


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("Yang said that China-US confrontation does good to no one.", "Yang"),
        ("China is open to dialogue, said Yang, who is also director of the Office.", "Yang"),
        ("As Wang said, the example of strategic mutual trust the two countries have set", "Wang"),
        ("State Department spokesman Ned Price said on February 2 that the US", "Ned Price"),
        ("“It is unlikely to truly stabilize,” said Wu.", "Wu"),
        ("Kerry said, U.S.-China relations are very important to the two countries", "Kerry"),
        ("Lü Xiang, a research fellow at the Chinese Academy of Social Sciences, told the "
         "Global Times.", "Lü Xiang"),
        ("According to Li Haidong, the visit was positive.", "Li Haidong"),
        ("Yang Jiechi, a member of the Political Bureau of the Central Committee of the Communist "
         "Party of China (CPC), said that for quite a time", "Yang Jiechi"),
        ("He said the talks were useful.", ""),
        ("Chinese experts urged the US to show the courage.", ""),
        ("The interaction between Russia and China is not subject to opportunistic factors.", ""),
    ],
)  # fmt: skip
def test_speaker_of(sentence: str, speaker: str) -> None:
    assert speaker_of(sentence) == speaker
