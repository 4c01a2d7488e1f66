"""Question analysis and name matching behind the extractive answerer's refusals."""

from __future__ import annotations

from assistant.answer.text import analyse, mentions, names, person_names, speaks, stem


def test_outlet_attribution_is_not_part_of_what_is_asked() -> None:
    q = analyse("Who met John Kerry on Thursday, according to the Global Times?", {"Global Times"})
    assert q.names == ["John Kerry"]
    assert "global" not in q.terms and "times" not in q.terms


def test_speaker_is_the_name_before_the_speech_verb() -> None:
    assert analyse("What did Wang Yi tell John Kerry about the oasis?").speaker == "Wang Yi"
    assert analyse("What does the editorial say this year marks?").speaker == ""


def test_names_skip_months_country_aliases_and_outlets() -> None:
    found = names(
        "On September 2, China's Xi Jinping met U.S. envoy Antony Blinken, China Daily said"
    )
    assert found == ["Xi Jinping", "Antony Blinken"]
    assert names("How did Lü Xiang describe the ties?") == ["Lü Xiang"]
    assert names("How does the article on Ned Price's remarks read?") == ["Ned Price"]


def test_person_names_drop_titles_and_possessives() -> None:
    text = "US Secretary of State Antony Blinken’s three-day visit to the United States"
    assert person_names(text) == ["Antony Blinken"]


def test_a_name_must_be_capitalised_to_match() -> None:
    assert mentions("State Department spokesman Ned Price said", "Ned Price")
    assert not mentions("the two countries paid the heaviest price", "Ned Price")


def test_a_bare_surname_counts_only_where_the_person_is_named_in_full() -> None:
    about_wang_yi = "Foreign Minister Wang Yi held talks. Wang said the ball is in the US' court."
    assert mentions("Wang said the ball is in the US' court.", "Wang Yi", about_wang_yi)
    assert not mentions("Wang said the ball is in the US' court.", "Wang Qishan", about_wang_yi)


def test_speaks_means_the_person_is_the_subject_of_the_speech() -> None:
    assert speaks("Kerry said, U.S.-China relations are very important", "John Kerry")
    assert speaks("“...two-way,” he added.", "Yang Jiechi", before="said Yang Jiechi.")
    assert not speaks(
        "Yang said that confrontation does good to no one",
        "John Kerry",
        before="During a video meeting with John Kerry on Thursday",
    )


def test_stems_join_word_families() -> None:
    assert stem("cooperation") == stem("cooperate")
    assert stem("friendship") == stem("friendly")
    assert stem("met") == stem("meeting") == "meet"
    assert stem("talk") == stem("spoken") == stem("phone") == "speak"
