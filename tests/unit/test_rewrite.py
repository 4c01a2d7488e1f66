from assistant.answer.rewrite import CarryOverRewriter
from assistant.types import Turn


def test_person_pronoun_takes_the_previous_answers_new_name() -> None:
    history = [
        Turn(
            question="Who met John Kerry via video link?",
            answer="According to unknown outlet: “On September 2, 2021, Member of the Political "
            "Bureau ... Yang Jiechi met with U.S. Special Presidential Envoy for Climate John "
            "Kerry via video link at request.” [1]",
        )
    ]
    out = CarryOverRewriter().rewrite("What did he say such cooperation must be?", history)
    assert out == "What did Yang Jiechi say such cooperation must be?"


def test_pronoun_falls_back_to_the_previous_questions_name() -> None:
    history = [Turn(question="What did Ned Price say about allies?", answer="“...” [1]")]
    out = CarryOverRewriter().rewrite("What else did he criticize?", history)
    assert out == "What else did Ned Price criticize?"


def test_subjectless_follow_up_gets_context() -> None:
    history = [Turn(question="What did Blinken warn China about?", answer="“...” [1]")]
    out = CarryOverRewriter().rewrite("and what about the elections?", history)
    assert "Blinken" in out
    assert out.startswith("and what about the elections?")


def test_standalone_question_is_untouched() -> None:
    history = [Turn(question="Who is Wang Yi?", answer="...")]
    q = "What did Xi Jinping say about competition?"
    assert CarryOverRewriter().rewrite(q, history) == q
