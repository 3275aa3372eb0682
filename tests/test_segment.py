"""Segment pipeline on small inputs made of real paragraphs (the pages are named)."""

from __future__ import annotations

from crawler.items import Statement
from crawler.sites import get_site
from pipelines.segment import segment

EN, ZH = get_site("fmprc_en"), get_site("fmprc_zh")


def _statement(
    paragraphs: list[str], bold: list[bool], speakers: list[str], language: str = "en"
) -> Statement:
    body = "\n\n".join(paragraphs)
    return Statement(
        "0" * 16,
        "x",
        language,
        "https://x/t1.shtml",
        "T",
        "press_conference",
        None,
        "none",
        None,
        speakers,
        paragraphs,
        body,
        "h",
        bold=bold,
    )


def _roles(statement: Statement, site=EN) -> list[tuple[str, str | None, str | None, bool]]:
    return [(t.role, t.speaker, t.outlet, t.follow_up) for t in segment(statement, site)]


def test_bold_is_one_signal_not_the_only_one() -> None:
    paragraphs = [
        # t1794629: the outlet label in bold
        "CCTV: The foreign ministry of Laos issued a statement expressing congratulations.",
        "Zhao Lijian: China highly applauds Laos and Vietnam for their staunch support.",
        # an answer paragraph that opens with a bold phrase and a colon is no question (t1778378)
        "Let me stress this once again: China's fundamental state policy of opening-up will not change.",
        # an outlet label without bold is still a question (misplaced <b>)
        "Reuters: Australia summoned the Chinese ambassador to explain comments.",
        "Zhao Lijian: China always develops friendly cooperation with other countries.",
        # a time in the text is no label ("Between 00:00 and 24:00", t1743480)
        "Between 00:00 and 24:00, February 10, there were 381 newly reported confirmed cases.",
    ]
    bold = [True, False, True, False, False, True]
    assert _roles(_statement(paragraphs, bold, ["Zhao Lijian"])) == [
        ("question", None, "CCTV", False),
        ("answer", "Zhao Lijian", None, False),
        ("question", None, "Reuters", False),
        ("answer", "Zhao Lijian", None, False),
    ]
    turns = segment(_statement(paragraphs, bold, ["Zhao Lijian"]), EN)
    assert turns[1].text.endswith("will not change.") and turns[3].text.endswith("confirmed cases.")


def test_opening_announcements_q_a_and_follow_ups() -> None:
    paragraphs = [
        "At the invitation of State Councilor and Foreign Minister Wang Yi, Foreign Affairs Minister of the Republic of Chile Roberto Ampuero will pay an official visit to China from September 13 to 15.",
        "Q: State Councilor and Foreign Minister Wang Yi visited Pakistan recently.",
        "A: Not long ago, Pakistan formed a new government.",
        "China and Pakistan are all-weather strategic cooperative partners.",
        "Follow-up: It's a Reuters report.",
        "Hua chunying: Then you should ask Reuters for their source.",
        "Journalist: I'm not interested in the sources.",
    ]
    assert _roles(_statement(paragraphs, [False] * 7, ["Geng Shuang"])) == [
        ("statement", "Geng Shuang", None, False),
        ("question", None, None, False),
        ("answer", "Geng Shuang", None, False),
        ("question", None, None, True),
        ("answer", "Hua Chunying", None, False),
        ("question", None, None, False),
    ]


def test_chinese_labels() -> None:
    paragraphs = [
        "我向大家通报一组数字：根据中国国家卫生健康委今天上午发布的统计数字，3月10日0-24时，中国境内新增治愈出院病例1578例。",
        "《北京青年报》记者：近日，生活在中国南京的日本导演竹内亮拍摄的纪录片《好久不见，武汉！》在中日两国引发热议。",
        "赵立坚：谢谢你关注这部纪录片。",
        "彭博社记者追问：你能否确认？",
        "答：我刚才已经说过了。",
        "会后有记者问及：据报道，日本内阁官房长官菅义伟2日在记者会上就钓鱼岛一事称……",
        "赵立坚：钓鱼岛及其附属岛屿是中国固有领土。",
    ]
    assert _roles(
        _statement(paragraphs, [False, True, False, True, False, True, False], ["赵立坚"], "zh"), ZH
    ) == [
        ("statement", "赵立坚", None, False),
        ("question", None, "《北京青年报》", False),
        ("answer", "赵立坚", None, False),
        ("question", None, "彭博社", True),
        ("answer", "赵立坚", None, False),
        ("question", None, None, False),
        ("answer", "赵立坚", None, False),
    ]


def test_statements_without_questions_get_no_turns() -> None:
    paragraphs = [
        "外交部发言人华春莹宣布：",
        "为帮助菲律宾应对新冠肺炎疫情，中国政府决定向菲律宾派遣抗疫医疗专家组。",
    ]
    assert segment(_statement(paragraphs, [False, False], ["华春莹"], "zh"), ZH) == []
