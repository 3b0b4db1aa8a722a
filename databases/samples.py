"""Sample documents for the demo: a few hundred realistic letters, memos, appeals, orders.

``domus init --demo`` writes them so that a newcomer sees a working office at
once: incoming letters with resolutions and execution reports under them,
outgoing letters, memos between departments, drafts, citizens' appeals with
answers and redirections, acts of the administration, and the people of the
directory.  The text is assembled from word lists with a seeded generator, so
the same seed always gives the same documents (benchmarks rely on it), and the
wording is inflected enough for full-text search to have work to do.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class SampleAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class SampleDocument:
    database: str
    key: str
    items: dict
    parent_key: str | None = None
    attachments: tuple[SampleAttachment, ...] = ()


#: Every demo user logs in with this password (``domus init --demo`` says so).
DEMO_PASSWORD = "demo-password-2026"

PEOPLE = (
    ("ivanova", "Иванова Анна Сергеевна", "Аппарат Исполкома", "главный специалист"),
    ("petrov", "Петров Игорь Валентинович", "Управление ЖКХ", "начальник управления"),
    ("sidorova", "Сидорова Елена Маратовна", "Комитет внешнего благоустройства", "председатель комитета"),
    ("khairullin", "Хайруллин Ильдар Рустемович", "Управление образования", "заместитель начальника"),
    ("gabdullina", "Габдуллина Резеда Ильгизовна", "Финансовое управление", "ведущий специалист"),
    ("smirnov", "Смирнов Олег Петрович", "Правовое управление", "юрисконсульт"),
    ("zakirov", "Закиров Айрат Наилевич", "Управление архитектуры", "главный архитектор"),
    ("kuznetsova", "Кузнецова Марина Юрьевна", "Аппарат Исполкома", "руководитель аппарата"),
    ("nurieva", "Нуриева Алсу Фаритовна", "Отдел по работе с обращениями граждан", "начальник отдела"),
    ("volkov", "Волков Дмитрий Андреевич", "Управление ЖКХ", "ведущий инженер"),
    ("safina", "Сафина Гульнара Рафаэлевна", "Канцелярия", "делопроизводитель"),
    ("mukhametov", "Мухаметов Рамиль Ринатович", "Комитет внешнего благоустройства", "главный специалист"),
    ("orlova", "Орлова Татьяна Викторовна", "Управление образования", "методист"),
    ("fazlyev", "Фазлыев Марат Ильдусович", "Руководство", "руководитель Исполкома"),
    ("lebedev", "Лебедев Сергей Николаевич", "Руководство", "заместитель руководителя"),
)
DEPARTMENTS = (
    "Аппарат Исполкома", "Управление ЖКХ", "Комитет внешнего благоустройства",
    "Управление образования", "Финансовое управление", "Управление архитектуры",
    "Правовое управление",
)
CORRESPONDENTS = (
    "Министерство строительства, архитектуры и ЖКХ Республики Татарстан",
    "Министерство образования и науки Республики Татарстан",
    "Министерство здравоохранения Республики Татарстан",
    "Прокуратура г. Казани",
    "МУП «Водоканал»",
    "МУП «Метроэлектротранс»",
    "АО «Казэнерго»",
    "ТСЖ «Восход»",
    "Совет ветеранов Вахитовского района",
    "Государственная жилищная инспекция Республики Татарстан",
    "Управление Роспотребнадзора по Республике Татарстан",
    "Казанская городская Дума",
)
SUBJECTS = (
    "о благоустройстве дворовой территории по ул. {street}",
    "о ремонте кровли многоквартирного дома по ул. {street}",
    "о подготовке объектов ЖКХ к отопительному сезону",
    "о проверке исполнения поручений по благоустройству дворов",
    "о предоставлении информации по обращениям граждан",
    "об устранении нарушений при содержании общего имущества",
    "о замене лифтового оборудования в домах по ул. {street}",
    "о ремонте дорожного покрытия на ул. {street}",
    "о графике вывоза твёрдых коммунальных отходов",
    "о согласовании проекта озеленения сквера на ул. {street}",
    "о финансировании ремонта школы № {number}",
    "об организации подвоза учащихся к школе № {number}",
)
STREETS = (
    "Баумана", "Пушкина", "Декабристов", "Чистопольская", "Гвардейская", "Ямашева",
    "Короленко", "Восстания", "Проспект Победы", "Карла Маркса", "Айдарова", "Тукая",
)
SENTENCES = (
    "Просим рассмотреть вопрос {subject} и сообщить о принятых мерах.",
    "В адрес Исполкома поступили обращения граждан {subject}.",
    "Жители неоднократно обращались по вопросу благоустройства дворов и ремонта детских площадок.",
    "Сообщаем, что работы включены в план на {year} год, срок исполнения — {deadline}.",
    "Прошу взять на контроль исполнение поручения и представить отчёт об исполнении.",
    "Направляем информацию о ходе выполнения работ по благоустройству дворовых территорий.",
    "По результатам проверки выявлены нарушения, требующие устранения в установленный срок.",
    "Финансирование предусмотрено в бюджете города на текущий год.",
    "Ответ заявителю подготовлен и направлен в установленный законом срок.",
    "Прилагаем акт обследования и фотоматериалы.",
)
APPEAL_TEXTS = (
    ("благоустройство", "Прошу провести благоустройство двора дома {house} по ул. {street}: "
                        "нет освещения, разбита детская площадка."),
    ("ЖКХ", "Прошу принять меры: в доме {house} по ул. {street} протекает кровля, "
            "управляющая компания обращения граждан не рассматривает."),
    ("транспорт", "Прошу увеличить количество автобусов на маршруте {number}, "
                  "в часы пик остановки переполнены."),
    ("образование", "Прошу оказать содействие в зачислении ребёнка в школу № {number} "
                    "по месту жительства."),
    ("здравоохранение", "Прошу разобраться с записью к врачам в поликлинике № {number}."),
    ("социальная защита", "Прошу оказать материальную помощь семье в трудной жизненной ситуации."),
    ("экология", "Прошу проверить вырубку деревьев во дворе дома {house} по ул. {street}."),
    ("строительство", "Прошу проверить законность строительства во дворе дома {house} по ул. {street}."),
)
SURNAMES = ("Галиев", "Морозов", "Шарипова", "Николаева", "Ахметзянов", "Егорова", "Зарипов",
            "Крылова", "Латыпов", "Миннуллина", "Павлов", "Романова", "Садыков", "Тимофеева")
INITIALS = ("А. Р.", "И. В.", "Л. М.", "Р. Ф.", "Е. С.", "Д. А.", "Г. Н.", "О. П.")
YEAR = 2026


class _Writer:
    """Draws the random parts of documents from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def day(self) -> date:
        return date(YEAR, 1, 9) + timedelta(days=self.rng.randrange(320))

    def person(self) -> tuple[str, str, str, str]:
        return self.rng.choice(PEOPLE)

    def subject(self) -> str:
        return self.rng.choice(SUBJECTS).format(
            street=self.rng.choice(STREETS), number=self.rng.randrange(1, 180)
        )

    def body(self, subject: str, sentences: int = 3) -> str:
        chosen = self.rng.sample(SENTENCES, sentences)
        deadline = self.day().isoformat()
        return " ".join(s.format(subject=subject, year=YEAR, deadline=deadline) for s in chosen)

    def applicant(self) -> str:
        return f"{self.rng.choice(SURNAMES)} {self.rng.choice(INITIALS)}"


def _phone(rng: random.Random) -> str:
    exchange, first, second = rng.randrange(200, 299), rng.randrange(100), rng.randrange(100)
    return f"+7 843 {exchange}-{first:02d}-{second:02d}"


def _scan(name: str, text: str) -> SampleAttachment:
    return SampleAttachment(name, "text/plain; charset=utf-8", text.encode("utf-8"))


def _letters(w: _Writer, count: int) -> Iterator[SampleDocument]:
    for n in range(1, count + 1):
        key = f"documents-incoming-{n:05d}"
        subject = w.subject()
        reg = w.day()
        items = {
            "Form": "Incoming",
            "RegNumber": f"Вх-{n}/{YEAR}",
            "RegDate": reg.isoformat(),
            "Correspondent": w.rng.choice(CORRESPONDENTS),
            "OutNumber": f"{w.rng.randrange(100, 9999)}-исх",
            "OutDate": (reg - timedelta(days=w.rng.randrange(1, 6))).isoformat(),
            "Subject": subject[0].upper() + subject[1:],
            "Body": w.body(subject),
            "Pages": w.rng.randrange(1, 12),
            "DeliveryMethod": w.rng.choice(["почта", "курьер", "электронная почта", "СЭД"]),
            "Executive": w.rng.choice(PEOPLE[-2:])[1],
        }
        files = (_scan(f"скан_Вх-{n}.txt", items["Body"]),) if n % 10 == 0 else ()
        yield SampleDocument("documents", key, items, attachments=files)
        if n % 2 == 0:
            resolution_key = f"{key}-resolution"
            executors = sorted({w.person()[1] for _ in range(w.rng.randrange(1, 3))})
            yield SampleDocument("documents", resolution_key, {
                "Form": "Resolution",
                "ResolutionAuthor": items["Executive"],
                "Text": w.rng.choice(["В работу.", "Рассмотреть и доложить.", "Подготовить ответ.",
                                      "Взять на контроль, обеспечить исполнение в срок."]),
                "Executors": executors,
                "Deadline": (reg + timedelta(days=w.rng.choice([10, 14, 30]))).isoformat(),
                "OnControl": w.rng.choice(["да", "нет"]),
            }, parent_key=key)
            if n % 4 == 0:
                yield SampleDocument("documents", f"{key}-report", {
                    "Form": "Report",
                    "Executor": executors[0],
                    "Text": "Поручение исполнено. " + w.body(subject, 1),
                    "DoneDate": (reg + timedelta(days=w.rng.randrange(2, 12))).isoformat(),
                }, parent_key=resolution_key)


def _outgoing(w: _Writer, count: int) -> Iterator[SampleDocument]:
    for n in range(1, count + 1):
        subject = w.subject()
        yield SampleDocument("documents", f"documents-outgoing-{n:05d}", {
            "Form": "Outgoing",
            "RegNumber": f"Исх-{n}/{YEAR}",
            "RegDate": w.day().isoformat(),
            "Addressee": w.rng.choice(CORRESPONDENTS),
            "Subject": "Ответ " + subject,
            "Body": w.body(subject, 2),
            "Signatory": w.rng.choice(PEOPLE[-2:])[1],
            "Executor": w.person()[1],
            "Pages": w.rng.randrange(1, 5),
        })


def _memos(w: _Writer, count: int) -> Iterator[SampleDocument]:
    for n in range(1, count + 1):
        sender, recipient = w.rng.sample(PEOPLE, 2)
        subject = w.subject()
        yield SampleDocument("documents", f"documents-memo-{n:05d}", {
            "Form": "Memo",
            "From": sender[1],
            "To": [recipient[1]],
            "Dept": sender[2] if sender[2] in DEPARTMENTS else w.rng.choice(DEPARTMENTS),
            "Subject": "Служебная записка " + subject,
            "Body": w.body(subject, 2),
            "Pages": w.rng.randrange(1, 4),
        })


def _drafts(w: _Writer, count: int) -> Iterator[SampleDocument]:
    for n in range(1, count + 1):
        subject = w.subject()
        yield SampleDocument("documents", f"documents-draft-{n:05d}", {
            "Form": "DraftLetter",
            "Subject": "Проект письма " + subject,
            "Body": w.body(subject, 2),
            "DraftAuthor": w.person()[1],
            "Approvers": sorted({w.person()[1] for _ in range(2)}),
            "Signatory": PEOPLE[-1][1],
            "Status": w.rng.choice(["черновик", "на согласовании", "согласован", "на подписании"]),
        })


def _appeals(w: _Writer, count: int) -> Iterator[SampleDocument]:
    for n in range(1, count + 1):
        key = f"appeals-appeal-{n:05d}"
        topic, template = w.rng.choice(APPEAL_TEXTS)
        text = template.format(street=w.rng.choice(STREETS), house=w.rng.randrange(1, 120),
                               number=w.rng.randrange(1, 90))
        reg = w.day()
        status = w.rng.choice(
            ["зарегистрировано", "на исполнении", "отвечено", "отвечено", "переадресовано"]
        )
        applicant = w.applicant()
        executor = w.person()
        # Citizens' personal data: only the appeals office, control, the executor and admins read it.
        readers = ["Отдел по работе с обращениями граждан", "[Controller]", "Администраторы",
                   executor[0]]
        items = {
            "Form": "Appeal",
            "RegNumber": f"Ж-{n}/{YEAR}",
            "RegDate": reg.isoformat(),
            "Applicant": applicant,
            "Address": f"г. Казань, ул. {w.rng.choice(STREETS)}, д. {w.rng.randrange(1, 120)}",
            "Phone": _phone(w.rng),
            "Channel": w.rng.choice(["письмо", "электронная почта", "личный приём", "портал"]),
            "Topic": topic,
            "Text": text,
            "Executor": executor[1],
            "Deadline": (reg + timedelta(days=30)).isoformat(),
            "Status": status,
            "Readers": readers,
        }
        files = (_scan(f"обращение_Ж-{n}.txt", text),) if n % 10 == 0 else ()
        yield SampleDocument("appeals", key, items, attachments=files)
        if status == "отвечено":
            yield SampleDocument("appeals", f"{key}-answer", {
                "Form": "Answer",
                "AnswerDate": (reg + timedelta(days=w.rng.randrange(5, 29))).isoformat(),
                "Signatory": PEOPLE[-1][1],
                "Text": f"Уважаемый(ая) {applicant}! Ваше обращение рассмотрено. " + w.body(topic, 1),
                "Readers": readers,
            }, parent_key=key)
        elif status == "переадресовано":
            yield SampleDocument("appeals", f"{key}-redirect", {
                "Form": "Redirect",
                "RedirectDate": (reg + timedelta(days=w.rng.randrange(1, 7))).isoformat(),
                "Organisation": w.rng.choice(CORRESPONDENTS),
                "Reason": "Решение вопроса не входит в компетенцию Исполкома",
                "Readers": readers,
            }, parent_key=key)


def _acts(w: _Writer, count: int) -> Iterator[SampleDocument]:
    kinds = (
        ("Order", "Приказ", "П"),
        ("Instruction", "Распоряжение", "Р"),
        ("Decree", "Постановление", "ПИК"),
    )
    for n in range(1, count + 1):
        form, title, prefix = kinds[n % 3]
        subject = w.subject()
        yield SampleDocument("orders", f"orders-{form.lower()}-{n:05d}", {
            "Form": form,
            "Number": f"{prefix}-{n}",
            "Date": w.day().isoformat(),
            "Title": f"{title} {subject}",
            "Body": w.body(subject, 3),
            "Signatory": w.rng.choice(PEOPLE[-2:])[1],
            "Dept": w.rng.choice(DEPARTMENTS),
            "Status": w.rng.choice(["подписан", "действует", "действует"]),
        })


def _directory(scale: int) -> Iterator[SampleDocument]:
    for copy in range(scale):
        suffix = "" if copy == 0 else str(copy + 1)
        for user, full, dept, position in PEOPLE:
            yield SampleDocument("directory", f"directory-person-{user}{suffix}", {
                "Form": "Person",
                "UserName": f"{user}{suffix}",
                "FullName": full,
                "Email": f"{user}{suffix}@kzn.example",
                "Dept": dept,
                "Position": position,
                "Password": DEMO_PASSWORD,
            })
    groups = (
        ("Канцелярия", ["ivanova", "safina"], "Регистрация входящей и исходящей корреспонденции"),
        ("Руководство", ["fazlyev", "lebedev", "kuznetsova"], "Руководители Исполкома"),
        ("Контроль", ["kuznetsova", "ivanova"], "Контроль исполнения поручений"),
        ("Отдел по работе с обращениями граждан", ["nurieva"], "Обращения граждан (59-ФЗ)"),
    )
    for name, members, description in groups:
        yield SampleDocument("directory", f"directory-group-{name}", {
            "Form": "Group", "ListName": name, "Members": members, "Description": description,
        })
    for name, title, site in (("kzn-main", "Центральный сервер", "Исполком, ул. Кремлёвская"),
                              ("kzn-vakhitov", "Сервер Вахитовского района", "Вахитовский район")):
        yield SampleDocument("directory", f"directory-server-{name}", {
            "Form": "Server", "ServerName": name, "Title": title, "Site": site,
        })


def sample_documents(seed: int = 2026, scale: int = 1) -> Iterator[SampleDocument]:
    """The demo's documents, parents before their responses; ``scale`` multiplies the counts."""
    w = _Writer(seed)
    yield from _directory(scale)
    yield from _letters(w, 120 * scale)
    yield from _outgoing(w, 40 * scale)
    yield from _memos(w, 50 * scale)
    yield from _drafts(w, 20 * scale)
    yield from _appeals(w, 80 * scale)
    yield from _acts(w, 30 * scale)
