from assistant.answer.rewrite import CarryOverRewriter
from assistant.types import Turn


def test_person_pronoun_takes_the_previous_short_answer() -> None:
    history = [Turn(question="Who won the 2012 Heisman Trophy?", answer="Johnny Manziel [1]")]
    out = CarryOverRewriter().rewrite("How old was he when he won?", history)
    assert out == "How old was Johnny Manziel when he won?"


def test_person_pronoun_takes_the_first_new_person_of_the_quotes() -> None:
    history = [
        Turn(
            question="Who will lead Vanguard?",
            answer="According to Example Daily: “Salim Ramji, a former BlackRock executive, "
            "will become Vanguard's chief executive in July.” [1]",
        )
    ]
    out = CarryOverRewriter().rewrite("Where did he work before?", history)
    assert out == "Where did Salim Ramji work before?"


def test_pronoun_falls_back_to_the_previous_questions_name() -> None:
    history = [Turn(question="What did Dana Ortiz say about the bridge?", answer="“...” [1]")]
    out = CarryOverRewriter().rewrite("What else did she promise?", history)
    assert out == "What else did Dana Ortiz promise?"


def test_subjectless_follow_up_gets_context() -> None:
    history = [Turn(question="What did Dana Ortiz say about the bridge?", answer="“...” [1]")]
    out = CarryOverRewriter().rewrite("and what about the cost?", history)
    assert "Dana Ortiz" in out
    assert out.startswith("and what about the cost?")


def test_standalone_question_is_untouched() -> None:
    history = [Turn(question="Who is Dana Ortiz?", answer="...")]
    q = "What did Tim Buckley say about the fund?"
    assert CarryOverRewriter().rewrite(q, history) == q
