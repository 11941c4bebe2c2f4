"""Property-based checks on what people type: any input to the questionnaire or the
application form is either accepted as a valid value or refused with a clear message."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.applications import make_application_form
from app.errors import InvalidAnswer, InvalidApplication
from app.questionnaire import QuestionType, load_questionnaire
from app.settings import load_settings

QUESTIONNAIRE = load_questionnaire(load_settings(environ={}).questionnaire_file)
QUESTION_IDS = [q.id for q in QUESTIONNAIRE]
ANYTHING = st.one_of(
    st.text(max_size=300),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(question_id=st.one_of(st.sampled_from(QUESTION_IDS), st.text(max_size=40)), raw=ANYTHING)
def test_any_answer_is_parsed_or_refused_clearly(question_id: str, raw: object) -> None:
    try:
        value = QUESTIONNAIRE.parse_answer(question_id, raw)
    except InvalidAnswer as error:
        assert str(error) and "Traceback" not in str(error)
        return
    question = QUESTIONNAIRE.question(question_id)
    if question.type is QuestionType.MONEY:
        assert isinstance(value, Decimal) and value.is_finite()
        assert question.minimum is None or value >= question.minimum
        assert question.maximum is None or value <= question.maximum
    elif question.type is QuestionType.YES_NO:
        assert isinstance(value, bool)
    elif question.type is QuestionType.CHOICE:
        assert value in {c.value for c in question.choices}
    else:
        assert isinstance(value, str) and len(value) <= question.max_length


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(max_size=250),
    national_id=st.text(max_size=40),
    phone=st.text(max_size=30),
    amount=st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True, allow_infinity=True)),
    term=st.one_of(st.integers(), st.text(max_size=5)),
    purpose=st.text(max_size=600),
)
def test_any_application_form_is_checked(
    name: str, national_id: str, phone: str, amount: object, term: object, purpose: str
) -> None:
    try:
        form = make_application_form(
            name=name,
            national_id=national_id,
            phone=phone,
            amount=amount,  # type: ignore[arg-type]
            term_months=term,
            purpose=purpose,
            applied_at=datetime.now(UTC),  # type: ignore[arg-type]
        )
    except InvalidApplication as error:
        assert str(error)
        return
    assert form.amount > 0 and 1 <= form.term_months <= 120 and form.name and form.purpose
