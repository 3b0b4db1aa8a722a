"""The formula language: Domino's rules on Russian office data, its errors, and its safety limits."""
from __future__ import annotations

import json
import operator
import pickle
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.exceptions import DomusError
from views.formula import Environment, EvaluationError, Formula, FormulaError, compile_formula
from views.formula.functions import FUNCTIONS
from views.formula.values import to_text

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LETTER = {
    "Form": "Incoming",
    "Dept": "Управление ЖКХ",
    "Subject": "О благоустройстве двора по ул. Баумана, 12",
    "RegNumber": "Вх-1532/26",
    "RegDate": "2026-11-20",
    "Deadline": "2026-11-24",
    "Received": "2026-11-20T07:30:00Z",
    "Readers": ["ivanova", "petrov", "[Канцелярия]"],
    "Executors": ["Иванова А.П.", "Петров С.С."],
    "Pages": 3,
    "Copies": 2.5,
    "Urgent": True,
    "Note": None,
    "Tags": [],
    "Status": "на исполнении",
}


def env(items: dict | None = None, **fields) -> Environment:
    defaults = {"unid": "0123456789ABCDEF0123456789ABCDEF", "created": "2026-11-20T10:00:00.000Z",
                "modified": "2026-11-21T09:00:00.000Z", "user_name": "ivanova", "now": NOW}
    return Environment(items=LETTER if items is None else items, **{**defaults, **fields})


def run(source: str, items: dict | None = None, **fields) -> list:
    return compile_formula(source).evaluate(env(items, **fields))


def error_of(source: str) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        compile_formula(source)
    return caught.value


# -- the public interface -----------------------------------------------------------------------------------

def test_a_compiled_formula_says_what_it_reads():
    formula = compile_formula('Form = "Incoming" & @Contains(Subject; "благоустр") & @IsAvailable(Dept)')
    assert isinstance(formula, Formula)
    assert formula.source == 'Form = "Incoming" & @Contains(Subject; "благоустр") & @IsAvailable(Dept)'
    assert formula.items_used == {"Form", "Subject", "Dept"}
    assert formula.uses_time is False
    assert formula.test(env()) is True
    assert formula.evaluate(env()) == [1]


def test_temporary_variables_are_not_items_and_the_clock_is_noticed():
    formula = compile_formula("срок := @Adjust(Deadline; 0; 0; 3; 0; 0; 0); срок < @Today")
    assert formula.items_used == {"Deadline"}
    assert formula.uses_time is True
    assert compile_formula("@Now").uses_time is True


def test_formulas_are_cached_by_source_and_pickle_as_their_source():
    formula = compile_formula('Form = "Memo"')
    assert compile_formula('Form = "Memo"') is formula
    assert pickle.loads(pickle.dumps(formula)) == formula
    assert formula != compile_formula('Form = "Incoming"')
    assert hash(formula) == hash('Form = "Memo"')
    assert "Form" in repr(formula)


def test_environment_defaults_and_the_real_clock():
    bare = Environment(items={"Form": "Memo"})
    assert (bare.unid, bare.parent_unid, bare.created, bare.user_name, bare.now) == ("", None, "", "", None)
    today = compile_formula("@Today").evaluate(bare)[0]
    assert abs(today - datetime.now(UTC).date()) <= timedelta(days=1)
    naive = Environment(items={}, now=datetime(2026, 11, 25, 23, 30))
    assert compile_formula("@Now").evaluate(naive) == [datetime(2026, 11, 25, 23, 30, tzinfo=UTC)]


def test_test_is_true_only_for_a_first_value_that_is_a_nonzero_number():
    assert compile_formula("1:0").test(env()) is True
    assert compile_formula("0:1").test(env()) is False
    assert compile_formula("0.5").test(env()) is True
    assert compile_formula("Subject").test(env()) is False
    assert compile_formula("Tags").test(env()) is False
    assert compile_formula("Urgent").test(env()) is True


# -- items and literals -------------------------------------------------------------------------------------

def test_items_read_as_domino_values():
    assert run("Dept") == ["Управление ЖКХ"]
    assert run("Readers") == ["ivanova", "petrov", "[Канцелярия]"]
    assert run("Pages") == [3]
    assert run("Copies") == [2.5]
    assert run("Urgent") == [1]
    assert run("Note") == [""]
    assert run("Tags") == []
    assert run("NoSuchItem") == [""]


def test_item_names_are_found_exactly_first_then_whatever_their_case():
    assert run("dept") == ["Управление ЖКХ"]
    assert run("DEPT") == ["Управление ЖКХ"]
    assert run("subject", {"subject": "строчными", "Subject": "С заглавной"}) == ["строчными"]
    assert run("Subject", {"subject": "строчными", "Subject": "С заглавной"}) == ["С заглавной"]
    assert run("@IsAvailable(regnumber)") == [1]
    assert run("@IsAvailable(RegNumber2)") == [0]


def test_iso_text_in_items_is_a_time_date():
    assert run("RegDate") == [date(2026, 11, 20)]
    assert run("Received") == [datetime(2026, 11, 20, 7, 30, tzinfo=UTC)]
    assert run("When", {"When": "2026-11-20T10:00+03:00"}) == [
        datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=3)))]
    assert run("When", {"When": "2026-11-20T10:00:00.123Z"})[0].microsecond == 123000
    assert run("Days", {"Days": ["2026-11-20", "2026-12-01"]}) == [date(2026, 11, 20), date(2026, 12, 1)]
    # Text that only looks like a date stays text.
    for text in ("2026-02-30", "2026-11-20T10:00", "2026-11-20 10:00:00Z", "20.11.2026", "2026-11-201"):
        assert run("X", {"X": text}) == [text]


def test_an_item_formulas_cannot_read_is_an_evaluation_error():
    with pytest.raises(EvaluationError, match="item Body holds a dict"):
        run("Body", {"Body": {"type": "richtext"}})


def test_literals():
    assert run('"Управление \\"ЖКХ\\" \\\\ отдел"') == ['Управление "ЖКХ" \\ отдел']
    assert run("{без \"экранирования\"}") == ['без "экранирования"']
    assert run("12") == [12]
    assert run("3.5") == [3.5]
    assert run(".5") == [0.5]
    assert run("1.5e3") == [1500]
    assert run("-2") == [-2]
    assert run("12345678901234567890") == [1.2345678901234567e19]
    assert run("[2026-11-25]") == [date(2026, 11, 25)]
    assert run("[2026-11-25T10:00:00Z]") == [datetime(2026, 11, 25, 10, 0, tzinfo=UTC)]
    assert run('"многострочный\nтекст"') == ["многострочный\nтекст"]


# -- operators ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ('Form = "Incoming" & Dept = "Управление ЖКХ"', [1]),
    ('Form = "Incoming" & Dept = "Управление образования"', [0]),
    ('Form = "Memo" | Dept = "Управление ЖКХ"', [1]),
    ('Form = "Memo" | Dept = "Архив"', [0]),
    ('Status != "отвечено"', [1]),
    ('Status <> "на исполнении"', [0]),
    ("Pages > 2", [1]),
    ("Pages >= 3", [1]),
    ("Pages < 3", [0]),
    ("Pages <= 2", [0]),
    ('"Архив" < "Бухгалтерия"', [1]),
    ("Deadline < @Today", [1]),
    ("RegDate >= [2026-11-20]", [1]),
    ("!(Pages > 2)", [0]),
    ('!Form = "Memo"', [1]),
    ("!!Pages", [1]),
    ("!0", [1]),
    ("Pages * 2 + 1", [7]),
    ("(Pages + 1) * 2", [8]),
    ("Pages / 2", [1.5]),
    ("6 / 2", [3]),
    ("Pages - 5", [-2]),
    ("-Pages", [-3]),
    ("--Pages", [3]),
    ("10 - 2 - 3", [5]),
    ("24 / 4 / 2", [3]),
    ('RegNumber + " от " + @Text(RegDate)', ["Вх-1532/26 от 2026-11-20"]),
    ("1 + 2 = 3", [1]),
    ("2 * 3 = 6 & 1 < 2", [1]),
    ("0.1 + 0.2", [0.30000000000000004]),
])
def test_operators(source, expected):
    assert run(source) == expected


def test_and_and_or_share_one_level_left_to_right_as_in_domino():
    assert run("1 | 1 & 0") == [0]  # (1 | 1) & 0
    assert run("1 | (1 & 0)") == [1]
    assert run("0 & 0 | 1") == [1]  # (0 & 0) | 1
    assert run("!0 & 0") == [0]  # (!0) & 0
    assert run("0 & !0 | 1") == [1]


def test_logic_stops_as_soon_as_the_result_is_known():
    assert run('Form = "Memo" & Pages / 0 > 1') == [0]
    assert run('Form = "Incoming" | Pages / 0 > 1') == [1]
    assert run("0 & 1 / 0 | 1") == [1]
    with pytest.raises(EvaluationError, match="division by zero"):
        run('Form = "Incoming" & Pages / 0 > 1')


def test_unary_minus_binds_tighter_than_the_list_operator():
    assert run("-1:2") == [-1, 2]
    assert run("1:-2") == [1, -2]
    assert run("-(1:2)") == [-1, -2]


def test_list_concatenation_binds_tighter_than_arithmetic():
    assert run("1:2 * 10") == [10, 20]
    assert run("1:2:3 + 10") == [11, 12, 13]
    assert run('Readers : "sidorov"') == ["ivanova", "petrov", "[Канцелярия]", "sidorov"]
    assert run("Tags : Tags") == []
    assert run('"a" : Tags : "b"') == ["a", "b"]


# -- Domino's multi-value rules -----------------------------------------------------------------------------

def test_a_comparison_with_one_value_tries_every_value_of_the_list():
    assert run('Readers = "ivanova"') == [1]
    assert run('Readers = "sidorov"') == [0]
    assert run('"petrov" = Readers') == [1]
    assert run('Readers != "ivanova"') == [1]  # petrov differs
    assert run('Form = "Order" : "Instruction" : "Decree"', {"Form": "Decree"}) == [1]


@pytest.mark.parametrize("source, expected", [
    # The pair-wise table of Domino Designer's "Operations on lists".
    ('"A":"B":"C" = "B":"C":"A"', [0]),
    ('"A":"B":"C" = "B":"C"', [1]),
    ('"B":"B":"C" = "B":"C"', [1]),
    ("1:2:3 = 2:3:1", [0]),
    ("1:2:3 = 2:3", [1]),
    ("2:3:3 = 2:3", [1]),
    ("2:3:3 = 3:1", [0]),
    ('"a":"b" = "b":"c"', [0]),
    ('"a":"b" != "a":"b"', [0]),
    ('"a":"b" = "a":"c"', [1]),
    ('"a":"b" != "a":"c"', [1]),  # both = and != hold for these lists
    ("1:5 < 2:3", [1]),
    # Permuted comparisons try every value against every value.
    ('"a":"b" *= "b":"c"', [1]),
    ('"A":"B":"C" *= "B":"C":"A"', [1]),
    ('"B":"B":"C" *= "D":"E"', [0]),
    ('"a":"a" *!= "a"', [0]),
    ('"a":"b" *<> "a"', [1]),
    ("1:9 *< 2", [1]),
    ("5:9 *<= 4", [0]),
    ("1:2 *> 1", [1]),
    ("1:2 *>= 3", [0]),
])
def test_list_comparisons(source, expected):
    assert run(source) == expected


def test_arithmetic_and_concatenation_are_pair_wise_padding_the_shorter_list():
    assert run("1:2:3 + 10:20:30") == [11, 22, 33]
    assert run("1:2:3 + 10:20") == [11, 22, 23]
    assert run("1:2:3 + 10") == [11, 12, 13]
    assert run('"A":"B":"C" + "1":"2"') == ["A1", "B2", "C2"]
    assert run('"Уважаемый(ая) " + Executors') == ["Уважаемый(ая) Иванова А.П.", "Уважаемый(ая) Петров С.С."]
    assert run("10:20 - 1:2:3") == [9, 18, 17]
    assert run("2:3 * 4:5") == [8, 15]
    assert run("8:9 / 2") == [4, 4.5]


def test_an_empty_list_counts_as_one_empty_text():
    assert run('Tags = ""') == [1]
    assert run('Tags + "x"') == ["x"]
    assert run('Tags *= ""') == [1]


def test_dates_compare_with_datetimes_by_their_date():
    assert run("RegDate = Received") == [1]
    assert run("[2026-11-20] = @Created") == [1]
    assert run("@Created < @Modified") == [1]
    assert run("Received < [2026-11-20T08:00:00+00:00]") == [1]
    assert run("Received = [2026-11-20T10:30:00+03:00]") == [1]


@pytest.mark.parametrize("source, message", [
    ('"a" * 2', "cannot multiply text and number"),
    ('Subject - 1', "cannot subtract text and number"),
    ('"a" / 2', "cannot divide text and number"),
    ("Pages + Subject", "cannot add number and text"),
    ("RegDate + 1", "cannot add time-date and number"),
    ('Pages = "3"', "cannot compare number with text"),
    ("Deadline < 5", "cannot compare time-date with number"),
    ('Readers = 1', "cannot compare text with number"),
    ('Subject & 1', "a condition must be a number"),
    ('!Subject', "a condition must be a number"),
    ('-Subject', "cannot negate text"),
    ("Pages / 0", "division by zero"),
])
def test_type_errors_at_run_time(source, message):
    formula = compile_formula(source)  # compiles: the types are only known per document
    with pytest.raises(EvaluationError, match=message):
        formula.evaluate(env())
    with pytest.raises(EvaluationError):
        formula.test(env())


def test_a_missing_number_item_is_empty_text_and_so_a_type_error():
    with pytest.raises(EvaluationError, match="cannot compare text with number"):
        run("Amount > 5")


# -- statements ---------------------------------------------------------------------------------------------

def test_temporary_variables():
    assert run('префикс := "Вх. "; номер := префикс + RegNumber; номер') == ["Вх. Вх-1532/26"]
    assert run("Pages := Pages * 2; Pages + 1") == [7]  # the right side still reads the item
    assert run("x := 1; X + 1") == [2]  # variable names ignore case, like Domino's
    assert run('x := 1; "не используется"; x') == [1]
    assert run('SELECT Form = "Incoming"') == [1]
    assert run('select Form = "Memo";') == [0]
    assert compile_formula("x := 1; x").items_used == frozenset()


def test_a_formula_must_end_with_a_value():
    error = error_of("x := 1;\n y := 2")
    assert error.message == "the formula ends by assigning y: end it with a value at line 2, column 2"


# -- @functions ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ('@Contains(Subject; "благоустр")', [1]),
    ('@Contains(Subject; "Благоустр")', [0]),  # case-sensitive, as in Domino
    ('@Contains(Subject; "ремонт" : "двор")', [1]),
    ('@Contains(Executors; "Петров")', [1]),
    ('@Begins(RegNumber; "Вх-")', [1]),
    ('@Begins(RegNumber; "Исх-")', [0]),
    ('@Ends(Subject; "12")', [1]),
    ('@Ends(Executors; "А.П." : "Ж.")', [1]),
    ("@Lower(Dept)", ["управление жкх"]),
    ("@LowerCase(Dept)", ["управление жкх"]),
    ("@Upper(Status)", ["НА ИСПОЛНЕНИИ"]),
    ("@UpperCase(Status)", ["НА ИСПОЛНЕНИИ"]),
    ('@Trim("  Иванова   А.П. ")', ["Иванова А.П."]),
    ('@Trim(" а " : "" : "  " : "б")', ["а", "б"]),
    ("@Trim(Tags)", []),
    ("@Left(RegNumber; 2)", ["Вх"]),
    ('@Left(RegNumber; "/")', ["Вх-1532"]),
    ('@Left(RegNumber; "#")', [""]),
    ("@Left(Executors; 7)", ["Иванова", "Петров "]),
    ("@Left(RegNumber; -1)", [""]),
    ("@Right(RegNumber; 2)", ["26"]),
    ("@Right(RegNumber; 0)", [""]),
    ("@Right(RegNumber; 50)", ["Вх-1532/26"]),
    ('@Right(RegNumber; "-")', ["1532/26"]),
    ('@Right(Subject; "ул. ")', ["Баумана, 12"]),
    ('@Right(RegNumber; "#")', [""]),
    ("@Length(RegNumber)", [10]),
    ("@Length(Executors)", [12, 11]),
    ("@Elements(Readers)", [3]),
    ("@Elements(Tags)", [0]),
    ("@Elements(NoSuchItem)", [0]),
    ("@Elements(Dept)", [1]),
    ("@IsAvailable(Subject)", [1]),
    ("@IsAvailable(Resolution)", [0]),
    ("@IsResponseDoc", [0]),
    ('@If(Pages > 10; "толстое"; Pages > 2; "среднее"; "тонкое")', ["среднее"]),
    ('@If(Urgent; "Срочно"; "")', ["Срочно"]),
    ("@Year(RegDate)", [2026]),
    ("@Month(RegDate)", [11]),
    ("@Day(RegDate)", [20]),
    ("@Year(Received : [2027-01-01])", [2026, 2027]),
    ("@Date(2026; 12; 31)", [date(2026, 12, 31)]),
    ("@Date(Received)", [date(2026, 11, 20)]),
    ("@Date(RegDate)", [date(2026, 11, 20)]),
    ("@Text(Pages)", ["3"]),
    ("@Text(Copies)", ["2.5"]),
    ("@Text(6 / 2)", ["3"]),
    ("@Text(1 / 3)", ["0.333333333333333"]),
    ("@Text(RegDate)", ["2026-11-20"]),
    ("@Text(Received)", ["2026-11-20T07:30:00Z"]),
    ("@Text(@Created)", ["2026-11-20T10:00:00Z"]),
    ("@Text([2026-11-20T10:00:00.250+03:00])", ["2026-11-20T10:00:00.250+03:00"]),
    ("@Text(Dept)", ["Управление ЖКХ"]),
    ("@Text(1 : 2.5)", ["1", "2.5"]),
    ('@TextToNumber("12")', [12]),
    ('@TextToNumber(" 12,5 ")', [12.5]),
    ('@TextToNumber("1.5e3" : "-7")', [1500, -7]),
    ("@TextToNumber(Pages)", [3]),
    ('@Name([CN]; "ivanova")', ["ivanova"]),
    ("@Name([Abbreviate]; Readers)", ["ivanova", "petrov", "[Канцелярия]"]),
    ('@Name([canonicalize]; "petrov")', ["petrov"]),
    ("@UserName", ["ivanova"]),
    ("@DocumentUniqueID", ["0123456789ABCDEF0123456789ABCDEF"]),
    ("@Created", [datetime(2026, 11, 20, 10, 0, tzinfo=UTC)]),
    ("@Modified", [datetime(2026, 11, 21, 9, 0, tzinfo=UTC)]),
    ("@Sum(Pages; Copies; 1 : 2)", [8.5]),
    ("@Sum(Tags)", [0]),
    ("@Min(5 : 3 : 8)", [3]),
    ("@Max(5 : 3; 8 : 1)", [8]),
    ("@Min(RegDate; Received; [2027-01-01])", [date(2026, 11, 20)]),
    ("@Max(RegDate : Deadline)", [date(2026, 11, 24)]),
    ('@Unique("ЖКХ" : "Образование" : "ЖКХ")', ["ЖКХ", "Образование"]),
    ("@Unique(1 : 1 : 2)", [1, 2]),
    ('@Implode(Executors; "; ")', ["Иванова А.П.; Петров С.С."]),
    ("@Implode(Readers)", ["ivanova petrov [Канцелярия]"]),
    ('@Implode(Tags; ", ")', [""]),
    ('@Explode("ЖКХ, Образование;Культура")', ["ЖКХ", "Образование", "Культура"]),
    ('@Explode("a/b//c"; "/")', ["a", "b", "c"]),
    ('@Explode("a-b]c^d"; "-]^")', ["a", "b", "c", "d"]),
    ('@Explode("a b"; "")', ["a b"]),
    ('@Member("petrov"; Readers)', [2]),
    ('@Member("sidorov"; Readers)', [0]),
    ("@Member(3; 1 : 2 : 3)", [3]),
    ('@Member(3; "3")', [0]),
    ("@True", [1]),
    ("@False", [0]),
    ("@All", [1]),
    ('@Select(2; "первый"; "второй"; "третий")', ["второй"]),
    ('@Select(9; "первый"; "второй")', ["второй"]),
    ("@Today", [date(2026, 11, 25)]),
    ("@Now", [NOW]),
])
def test_functions(source, expected):
    assert run(source) == expected


def test_function_names_ignore_case():
    assert run('@contains(Subject; "двор")') == [1]
    assert run("@TODAY") == [date(2026, 11, 25)]
    assert run("@Now()") == [NOW]


def test_is_response_doc_reads_the_parent():
    assert run("@IsResponseDoc", parent_unid="FEDCBA9876543210FEDCBA9876543210") == [1]


def test_if_evaluates_only_the_branch_it_takes():
    assert run('@If(1; "ok"; 1 / 0)') == ["ok"]
    assert run('@If(0; 1 / 0; "ok")') == ["ok"]
    assert run('@If(0; 1 / 0; 1; "второе"; 1 / 0)') == ["второе"]
    assert run('@If(@IsAvailable(Resolution); Resolution * 2; "нет резолюции")') == ["нет резолюции"]
    assert run('@Select(1; "ok"; 1 / 0)') == ["ok"]
    with pytest.raises(EvaluationError, match="division by zero"):
        run('@If(1 / 0; 1; 2)')


def test_the_clock_comes_from_the_environment():
    later = datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=3)))
    assert run("@Today", now=later) == [date(2027, 1, 1)]  # the day where ``now`` is
    assert run("Deadline < @Today", now=datetime(2026, 11, 24, 23, 0, tzinfo=UTC)) == [0]


@pytest.mark.parametrize("source, expected", [
    ("@Adjust(Deadline; 0; 0; 30; 0; 0; 0)", [date(2026, 12, 24)]),
    ("@Adjust(Deadline; 0; 1; 0; 0; 0; 0)", [date(2026, 12, 24)]),
    ("@Adjust(Deadline; 1; 0; -24; 0; 0; 0)", [date(2027, 10, 31)]),
    ("@Adjust([2026-01-31]; 0; 1; 0; 0; 0; 0)", [date(2026, 2, 28)]),
    ("@Adjust([2028-01-31]; 0; 1; 0; 0; 0; 0)", [date(2028, 2, 29)]),
    ("@Adjust([2026-12-15]; 0; 1; 0; 0; 0; 0)", [date(2027, 1, 15)]),
    ("@Adjust(Deadline; 0; 0; 0; 18; 0; 0)", [datetime(2026, 11, 24, 18, 0, tzinfo=UTC)]),
    ("@Adjust(Deadline; 0; 0; 0.5; 0; 0; 0)", [datetime(2026, 11, 24, 12, 0, tzinfo=UTC)]),
    ("@Adjust(Received; 0; 0; 1; 2; 30; 15)", [datetime(2026, 11, 21, 10, 0, 15, tzinfo=UTC)]),
    ("@Adjust(RegDate : Deadline; 0; 0; 1; 0; 0; 0)", [date(2026, 11, 21), date(2026, 11, 25)]),
])
def test_adjust(source, expected):
    assert run(source) == expected


@pytest.mark.parametrize("source, message", [
    ('@Year("вчера")', "@Year needs a time-date, not text"),
    ("@Month(Pages)", "@Month needs a time-date, not number"),
    ("@Contains(Pages; 1)", "@Contains needs text, not number"),
    ("@Lower(RegDate)", "@Lower needs text, not time-date"),
    ("@Left(Subject; RegDate)", "@Left needs a number or a text to cut at"),
    ("@Left(Subject; Tags)", "@Left got an empty value"),
    ('@TextToNumber("двенадцать")', "@TextToNumber: 'двенадцать' is not a number"),
    ('@TextToNumber("nan")', "is not a number"),
    ("@TextToNumber(RegDate)", "@TextToNumber needs text, not time-date"),
    ('@Sum(1; "2")', "@Sum needs a number, not text"),
    ('@Min("а" : "б")', "@Min needs numbers or time-dates"),
    ("@Max(Tags)", "@Max needs numbers or time-dates"),
    ("@Min(1 : RegDate)", "cannot compare time-date with number"),
    ("@Adjust(Deadline; 0.5; 0; 0; 0; 0; 0)", "@Adjust moves by whole years and months"),
    ('@Adjust(Deadline; 0; 0; "1"; 0; 0; 0)', "@Adjust needs numbers after the time-date"),
    ("@Adjust(Deadline; 8000; 0; 0; 0; 0; 0)", "@Adjust: the time-date is out of range"),
    ("@Adjust(Deadline; 0; 0; 1e300; 0; 0; 0)", "@Adjust: the time-date is out of range"),
    ("@Adjust(Pages; 0; 0; 1; 0; 0; 0)", "@Adjust needs a time-date, not number"),
    ("@Date(2026; 2; 30)", "@Date: there is no day 2026-2-30"),
    ('@Select(0; "a"; "b")', "@Select needs a position of 1 or more"),
    ('@Select("1"; "a"; "b")', "@Select needs a number, not text"),
    ('@If("да"; 1; 2)', "a condition must be a number"),
])
def test_function_errors_at_run_time(source, message):
    with pytest.raises(EvaluationError, match=message.replace("(", r"\(")):
        run(source)


# -- errors in formulas -------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, message, line, column", [
    ('Form = "Memo" & @Foo(1)', "unknown function @Foo", 1, 17),
    ("Pages > 1 &\n  @Frobnicate", "unknown function @Frobnicate", 2, 3),
    ("@Left(Subject; 1; 2)", "@Left takes 2 arguments, got 3", 1, 1),
    ("@Left(Subject)", "@Left takes 2 arguments, got 1", 1, 1),
    ("@Today(1)", "@Today takes no arguments, got 1", 1, 1),
    ("@Lower()", "@Lower takes 1 argument, got 0", 1, 1),
    ("@Date(2026; 11)", "@Date takes 1 or 3 arguments, got 2", 1, 1),
    ("x := @If(1; 2); x", "@If takes an odd number of arguments (3 or more), got 2", 1, 6),
    ("@If(1; 2; 3; 4)", "@If takes an odd number of arguments (3 or more), got 4", 1, 1),
    ("@Sum()", "@Sum takes at least 1 argument, got 0", 1, 1),
    ("@Select(1)", "@Select takes at least 2 arguments, got 1", 1, 1),
    ("(1 + 23))", 'unexpected ")"', 1, 9),
    ('Form = "Memo" &', "unexpected end of formula", 1, 16),
    ("Form =\n", "unexpected end of formula", 2, 1),
    ("Form Subject", 'unexpected "Subject"', 1, 6),
    ("1 ; ; 2", 'unexpected ";"', 1, 5),
    ('Subject = "не закрыт', "text is not closed", 1, 11),
    ("Subject = {не закрыт", "text is not closed", 1, 11),
    ("Pages # 2", 'unexpected character "#"', 1, 7),
    ("RegDate = [20.11.2026]", 'unexpected character "["', 1, 11),
    ("[2026-02-30] = RegDate", "[2026-02-30] is not a date: write [2026-11-25] or [2026-11-25T10:00:00Z]",
     1, 1),
    ("1e999", "the number 1e999 is too large", 1, 1),
    ("@Name(CN; Subject)", "@Name needs one of [cn], [abbreviate], [canonicalize] first", 1, 1),
    ("@Name([OU]; Subject)", "@Name needs one of [cn], [abbreviate], [canonicalize] first", 1, 1),
    ('Subject + [CN]', "[CN] may only be the first argument of @Name", 1, 11),
    ('@IsAvailable("Subject")', "@IsAvailable needs an item name", 1, 1),
    ("(x := 1)", 'unexpected "="', 1, 5),
])
def test_formula_errors_say_what_and_where(source, message, line, column):
    error = error_of(source)
    assert error.message == f"{message} at line {line}, column {column}"
    assert error.details == {"position": {"line": line, "column": column}}


def test_a_formula_error_is_a_422_domus_error():
    error = error_of("@Foo")
    assert isinstance(error, DomusError)
    assert (error.status, error.code) == (422, "invalid_formula")
    assert str(error) == error.message


def test_a_formula_must_be_text():
    with pytest.raises(FormulaError, match="a formula is text, not list"):
        compile_formula(["Form"])


# -- safety -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, line, column", [
    ('__import__("os")', 1, 11),
    ("Subject.upper()", 1, 8),
    ("x.__class__", 1, 2),
    ('open("/etc/passwd")', 1, 5),
    ("Subject[0]", 1, 8),
    ("import os", 1, 8),
    ("eval(Subject)", 1, 5),
    ("@Text.__globals__", 1, 6),
])
def test_nothing_reaches_python(source, line, column):
    error = error_of(source)
    assert error.details["position"] == {"line": line, "column": column}


def test_a_call_of_a_name_hints_at_at_functions():
    assert error_of('__import__("os")').message.startswith('unexpected "(" (only @functions can be called)')


def test_a_long_formula_is_refused_before_parsing():
    error = error_of("1" * 10_001)
    assert error.message == "the formula is too long: 10,001 characters, at most 10,000"
    assert error.details == {}
    assert "too long" in error_of('"' + "я" * 1_000_000 + '"').message
    assert compile_formula("1+" * 4_999 + "1").evaluate(env()) == [5000]


def test_deep_nesting_is_refused_without_recursion_errors():
    assert run("(" * 50 + "1" + ")" * 50) == [1]
    assert run("@Text(" * 50 + "1" + ")" * 50) == ["1"]
    error = error_of("(" * 51 + "1" + ")" * 51)
    assert error.message == "the formula nests brackets deeper than 50 levels at line 1, column 51"
    error = error_of('"((((" + ' + "@Trim(" * 60 + "1" + ")" * 60)
    assert error.details["position"] == {"line": 1, "column": len('"((((" + ') + 51 * len("@Trim(")}
    assert run('"(((((((((((((((((((((((((((((((((((((((((((((((((((((" + {((((}') == ["(" * 53 + "(((("]
    assert run('"\\"" + "((("') == ['"(((']


def test_long_chains_and_prefixes_evaluate_without_recursion():
    assert run("!" * 9_999 + "0") == [1]
    assert run("-" * 9_998 + "5") == [5]
    assert run("1:" * 4_999 + "1") == [1] * 5_000
    assert run("1=" * 4_999 + "1") == [1]


def test_the_step_budget_stops_long_evaluations():
    make = ("a := 1:1:1:1:1:1:1:1:1:1; b := a:a:a:a:a:a:a:a:a:a; c := b:b:b:b:b:b:b:b:b:b; "
            "d := c:c:c:c:c:c:c:c:c:c; ")
    assert len(run(make + "d + d")) == 10_000
    with pytest.raises(EvaluationError, match="more than 100,000 steps"):
        run(make + "d + d + d + d + d + d + d + d + d + d + d + d")
    with pytest.raises(EvaluationError, match="more than 100,000 steps"):
        run(make + "d *= d")


def test_lists_and_texts_have_a_size_limit():
    make = ("a := 1:1:1:1:1:1:1:1:1:1; b := a:a:a:a:a:a:a:a:a:a; c := b:b:b:b:b:b:b:b:b:b; "
            "d := c:c:c:c:c:c:c:c:c:c; ")
    with pytest.raises(EvaluationError, match="a list would have more than 10,000 values"):
        run(make + "d : 1")
    grow = ('t := "0123456789"; t := t+t+t+t+t+t+t+t+t+t; t := t+t+t+t+t+t+t+t+t+t; '
            "t := t+t+t+t+t+t+t+t+t+t; t := t+t+t+t+t+t+t+t+t+t; t := t+t+t+t+t+t+t+t+t+t; ")
    assert len(run(grow + "t")[0]) == 1_000_000
    for tail in ('t + "!"', "@Implode(t : t)", "@Text(t : t)", "@Lower(t : t)", '@Left(t : t; 999999)'):
        with pytest.raises(EvaluationError, match="a text would be longer than 1,000,000 characters"):
            run(grow + tail)
    with pytest.raises(EvaluationError, match="a list would have more than 10,000 values"):
        run(make + '@Explode(@Implode(@Text(d); ",") + ",1")')


def test_huge_numbers_are_errors_not_infinity():
    with pytest.raises(EvaluationError, match="a number is too large"):
        run("1e300 * 1e300")
    with pytest.raises(EvaluationError, match="a number is too large"):
        run("x := 99999999; x := x*x*x*x*x*x*x*x; x := x*x*x*x*x*x*x*x; x*x*x*x*x*x")
    assert run("2 * 4503599627370496") == [9007199254740992]
    assert run("4 * 4503599627370496") == [1.8014398509481984e16]


def test_errors_are_short_and_without_tracebacks():
    sources = ['Form = "Memo" &', "@Foo", "(" * 60, "x.y", '"a" * 2', "1 / 0", "1" * 20_000]
    for source in sources:
        try:
            compile_formula(source).evaluate(env())
        except (FormulaError, EvaluationError) as error:
            text = str(error)
            assert "Traceback" not in text and "File " not in text and len(text) < 120, text
        else:
            pytest.fail(source)


_PIECES = list('()";:=!<>*/+-&|{}[]@ .,\\\n') + [
    "Subject", "Pages", "Tags", "Readers", "RegDate", "@If", "@Text", "@Adjust", "@Left", "@Explode", "@Sum",
    "@Min", "@Date", "@Select", "@Member", "@Trim", "@Elements", "@TextToNumber", "@Name", "[CN]",
    "[2026-11-25]", "1", "0", "2.5", '"x"', "x :=", "SELECT"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_any_text_compiles_or_is_a_formula_error_and_evaluates_or_is_an_evaluation_error(source):
    try:
        formula = compile_formula(source)
    except FormulaError:
        return
    try:
        formula.evaluate(env())
        formula.test(env())
    except EvaluationError:
        pass


# -- the designer's guide ----------------------------------------------------------------------------------

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "formulas.md").read_text("utf-8")
_GUIDE, _ERRORS = DOCS.split("## Errors")


def _rows(text: str) -> list[list[str]]:
    """The cells of every table row, with ``\\|`` read as ``|``."""
    return [[cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            for line in text.splitlines() if line.startswith("| ")]


def _code(cell: str) -> str | None:
    return cell[1:-1] if re.fullmatch(r"`[^`]+`", cell) else None


_EXAMPLES = [(_code(row[-2]), _code(row[-1])) for row in _rows(_GUIDE) if _code(row[-2]) and _code(row[-1])]
_ERROR_EXAMPLES = [(_code(row[0]), row[1]) for row in _rows(_ERRORS) if _code(row[0])]


def _shown(values: list) -> str:
    """A result as the guide writes it."""
    def one(value) -> str:
        if isinstance(value, str):
            return f'"{value}"'
        return f"[{to_text(value)}]" if isinstance(value, date) else to_text(value)
    return " : ".join(map(one, values)) if values else "(none)"


def test_the_guide_has_examples_and_documents_every_function():
    assert len(_EXAMPLES) > 40 and len(_ERROR_EXAMPLES) >= 5
    for function in FUNCTIONS.values():
        assert f"`{function.name}" in DOCS, function.name


@pytest.mark.parametrize("source, shown", _EXAMPLES, ids=[source for source, _ in _EXAMPLES])
def test_the_guide_examples_give_the_results_it_shows(source, shown):
    sample = json.loads(DOCS.split("```json")[1].split("```")[0])
    assert _shown(run(source, sample)) == shown


@pytest.mark.parametrize("source, message", _ERROR_EXAMPLES, ids=[source for source, _ in _ERROR_EXAMPLES])
def test_the_guide_error_examples_give_its_messages(source, message):
    assert error_of(source).message == message


# -- random arithmetic against Python -----------------------------------------------------------------------

_LEVEL = {"|": 1, "&": 1, "=": 2, "!=": 2, "<": 2, ">": 2, "<=": 2, ">=": 2,
          "+": 3, "-": 3, "*": 4, "/": 4}
_PYTHON = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt, "<=": operator.le,
           ">=": operator.ge, "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _expressions():
    leaves = st.integers(0, 9).map(lambda n: ("n", n))

    def extend(inner):
        return st.one_of(
            st.tuples(st.just("b"), st.sampled_from(sorted(_LEVEL)), inner, inner),
            st.tuples(st.just("u"), st.sampled_from(["-", "!"]), inner),
        )
    return st.recursive(leaves, extend, max_leaves=12)


def _render(tree) -> tuple[str, float]:
    """Formula text with only the brackets Domino's precedence needs, and the text's level."""
    def wrapped(node, least: float) -> str:
        text, level = _render(node)
        return text if level >= least else f"({text})"

    match tree:
        case ("n", n):
            return str(n), 9
        case ("u", "-", operand):
            return "-" + wrapped(operand, 6), 6
        case ("u", "!", operand):
            return "!" + wrapped(operand, 1.5), 1.5
        case ("b", op, left, right):
            level = _LEVEL[op]
            return f"{wrapped(left, level)} {op} {wrapped(right, level + 0.5)}", level


def _reference(tree):
    """What the formula means, computed by Python (short-circuit logic included)."""
    match tree:
        case ("n", n):
            return n
        case ("u", "-", operand):
            return -_reference(operand)
        case ("u", "!", operand):
            return int(_reference(operand) == 0)
        case ("b", "&", left, right):
            return int(_reference(left) != 0 and _reference(right) != 0)
        case ("b", "|", left, right):
            return int(_reference(left) != 0 or _reference(right) != 0)
        case ("b", op, left, right):
            result = _PYTHON[op](_reference(left), _reference(right))
            return int(result) if isinstance(result, bool) else result


@settings(max_examples=300, deadline=None)
@given(_expressions())
def test_random_arithmetic_agrees_with_python(tree):
    source, _ = _render(tree)
    try:
        expected = _reference(tree)
    except ZeroDivisionError:
        with pytest.raises(EvaluationError, match="division by zero"):
            run(source, {})
        return
    [actual] = run(source, {})
    assert actual == pytest.approx(expected, rel=1e-9, abs=1e-12), source
