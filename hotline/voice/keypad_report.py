"""Reporting results on the keypad: the routes parse what was keyed and answer TwiML.

After the PIN, the chair chooses: 1, the keypad; 2 (or silence), a volunteer, as before.
The keypad flow: attendance, then the first and the final alignment (candidate number,
star, count, pound; pound alone when done), then the read-back with delegates, coin
tosses and findings; 1 confirms, 2 corrects one entry, 3 goes to a volunteer. Every URL is
a signed step (common.one_step): a replayed step changes nothing. What was keyed lives in
the call's draft in Redis (steps/reporting.py), never in the URL.
"""

from __future__ import annotations

from flask import Response, abort, request

from hotline import pins
from hotline.caucus import wording
from hotline.steps import reporting
from hotline.steps.reporting import Problem
from hotline.store.results import Draft, StoredReport
from hotline.voice import twiml
from hotline.voice.common import (
    ask,
    degrades_to,
    goodbye,
    hold_answer,
    int_arg,
    language,
    next_step,
    one_step,
    prompt,
    respond,
    retry_this_step,
    services,
    speech,
    spell,
    this_caller,
    url,
    voice_blueprint,
)

bp = voice_blueprint("keypad_report")

START = "/voice/incoming"


def report_choice(precinct: str, reprompts: int = 0, preface: str | None = None) -> Response:
    """What a verified chair hears: the keypad (1) or a volunteer (2). A chair whose
    precinct has reported is told so first, with the receipt: one calling back unsure
    whether the report went through (the call dropped, Redis died mid-confirm) must not
    key it again.
    """
    if preface is None:
        preface = prompt("verified_choice").format(precinct=spell(precinct))
        stored = services().store.results.latest(precinct)
        if stored is not None:
            preface += " " + prompt("report_already_stored").format(receipt=spell(stored.receipt))
    return _ask_key(prompt("report_choice"), "/voice/report-choice", precinct, reprompts, preface)


@bp.post("/report-choice")
@degrades_to(retry_this_step)
@one_step(restart=START)
def choice() -> Response:
    precinct, reprompts, digits = _args()
    if digits == "1":
        left = reporting.unfinished(services(), precinct, this_caller())
        if left is not None and left.attendance is not None:
            return _ask_key(prompt("report_resume"), "/voice/report-resume", precinct, 0)
        return _next_question(precinct, reporting.begin(services(), this_caller(), precinct))
    if digits == "2" or reprompts >= _limit():
        return hold_answer(precinct, "hold_for_volunteer")
    return report_choice(precinct, reprompts + 1, _problem_text(digits))


@bp.post("/report-resume")
@degrades_to(retry_this_step)
@one_step(restart=START)
def resume() -> Response:
    precinct, reprompts, digits = _args()
    if digits not in ("1", "2") and reprompts < _limit():
        return _ask_key(
            prompt("report_resume"),
            "/voice/report-resume",
            precinct,
            reprompts + 1,
            _problem_text(digits),
        )
    caller = this_caller()
    left = reporting.unfinished(services(), precinct, caller) if digits != "2" else None
    return _next_question(precinct, reporting.begin(services(), caller, precinct, left))


@bp.post("/report-attendance")
@degrades_to(retry_this_step)
@one_step(restart=START)
def attendance() -> Response:
    precinct, reprompts, digits = _args()
    draft = _draft(precinct)
    if draft is None:
        return _draft_gone(precinct)
    parsed = reporting.parse_attendance(digits)
    if isinstance(parsed, Problem):
        return _again(precinct, draft, reprompts, _problem_text(digits, parsed))
    fixing = draft.stage == "fix:attendance"
    draft = _keep(
        precinct,
        Draft(**{**_fields(draft), "attendance": parsed, "stage": "review" if fixing else "first"}),
    )
    return _next_question(precinct, draft)


@bp.post("/report-group")
@degrades_to(retry_this_step)
@one_step(restart=START)
def group() -> Response:
    precinct, reprompts, digits = _args()
    draft = _draft(precinct)
    if draft is None:
        return _draft_gone(precinct)
    stage = draft.stage
    if stage not in reporting.STAGES or draft.attendance is None:
        return _next_question(precinct, draft)
    if _pound_alone(digits):
        if not getattr(draft, stage):
            return _again(precinct, draft, reprompts, prompt("report_no_groups"))
        draft = _keep(precinct, _with_stage(draft, "final" if stage == "first" else "review"))
        return _next_question(precinct, draft)
    parsed = reporting.parse_group(digits, reporting.election(services()), draft.attendance)
    if isinstance(parsed, Problem):
        return _again(precinct, draft, reprompts, _problem_text(digits, parsed))
    draft = _keep(precinct, reporting.with_count(draft, stage, parsed.candidate.key, parsed.count))
    taken = (
        prompt("report_group_taken").format(name=parsed.candidate.name, count=parsed.count)
        if parsed.count
        else prompt("report_group_removed").format(name=parsed.candidate.name)
    )
    return _ask_group(precinct, 0, taken, first_of_stage=False)


@bp.post("/report-toss")
@degrades_to(retry_this_step)
@one_step(restart=START)
def toss() -> Response:
    precinct, reprompts, digits = _args()
    draft = _draft(precinct)
    if draft is None:
        return _draft_gone(precinct)
    tie = reporting.review(services(), precinct, draft).toss
    if tie is None:
        return _review(precinct, draft)
    if digits.isdigit() and 1 <= int(digits) <= len(tie.between):
        draft = _keep(
            precinct, reporting.with_toss(draft, tie.between, tie.between[int(digits) - 1])
        )
        return _next_question(precinct, draft)
    return _review(precinct, draft, reprompts + 1, _problem_text(digits))


@bp.post("/report-review")
@degrades_to(retry_this_step)
@one_step(restart=START)
def review() -> Response:
    precinct, reprompts, digits = _args()
    svc = services()
    draft = _draft(precinct)
    if draft is None:
        return _draft_gone(precinct)
    if digits == "1":
        key = f"{this_caller().call_sid}:{int_arg('step')}"
        outcome = reporting.confirm(svc, this_caller(), precinct, draft, key)
        if isinstance(outcome, StoredReport):
            return goodbye(
                "report_stored", precinct=spell(precinct), receipt=spell(outcome.receipt)
            )
        return _review(precinct, draft, 0, prompt("report_cannot_confirm"))
    if digits == "2":
        _keep(precinct, _with_stage(draft, "fix"))
        return _ask_digits(prompt("report_ask_fix"), "/voice/report-fix", precinct, 0)
    if digits == "3" or reprompts >= _limit():
        reporting.to_volunteer(svc, this_caller(), precinct)
        return hold_answer(precinct, "report_to_volunteer")
    return _review(precinct, draft, reprompts + 1, _problem_text(digits))


@bp.post("/report-fix")
@degrades_to(retry_this_step)
@one_step(restart=START)
def fix() -> Response:
    precinct, reprompts, digits = _args()
    draft = _draft(precinct)
    if draft is None:
        return _draft_gone(precinct)
    if digits == "0":
        _keep(precinct, _with_stage(draft, "fix:attendance"))
        return _ask_digits(prompt("report_ask_attendance"), "/voice/report-attendance", precinct, 0)
    candidate = (
        reporting.election(services()).by_keypad(int(digits))
        if digits.isdigit() and len(digits) <= 3
        else None
    )
    if candidate is None:
        preface = (
            prompt("report_unknown_candidate").format(number=digits)
            if digits.isdigit()
            else _problem_text(digits)
        )
        if reprompts >= _limit():
            return _review(precinct, _keep(precinct, _with_stage(draft, "review")))
        return _ask_digits(
            prompt("report_ask_fix"), "/voice/report-fix", precinct, reprompts + 1, preface
        )
    _keep(precinct, _with_stage(draft, f"fix:{candidate.key}:first"))
    return _ask_fix_count(precinct, candidate.name, "first", 0)


@bp.post("/report-fix-count")
@degrades_to(retry_this_step)
@one_step(restart=START)
def fix_count() -> Response:
    precinct, reprompts, digits = _args()
    draft = _draft(precinct)
    if draft is None:
        return _draft_gone(precinct)
    _, key, stage = (draft.stage.split(":") + ["", "", ""])[:3]
    candidate = reporting.election(services()).candidate(key)
    if candidate is None or stage not in reporting.STAGES:
        return _next_question(precinct, _keep(precinct, _with_stage(draft, "review")))
    parsed = reporting.parse_count(digits, draft.attendance)
    if isinstance(parsed, Problem):
        if reprompts >= _limit():
            return _review(precinct, _keep(precinct, _with_stage(draft, "review")))
        return _ask_fix_count(
            precinct, candidate.name, stage, reprompts + 1, _problem_text(digits, parsed)
        )
    draft = reporting.with_count(draft, stage, key, parsed)
    if stage == "first":
        _keep(precinct, _with_stage(draft, f"fix:{key}:final"))
        return _ask_fix_count(precinct, candidate.name, "final", 0)
    return _next_question(precinct, _keep(precinct, _with_stage(draft, "review")))


# What to ask next


def _next_question(precinct: str, draft: Draft, preface: str = "") -> Response:
    """The question the draft is at: where a resumed report picks up, too."""
    if draft.attendance is None or draft.stage in ("attendance", "fix:attendance"):
        return _ask_digits(
            prompt("report_ask_attendance"), "/voice/report-attendance", precinct, 0, preface
        )
    if draft.stage in reporting.STAGES:
        return _ask_group(precinct, 0, preface, first_of_stage=True, stage=draft.stage)
    return _review(precinct, _with_stage(draft, "review"), 0, preface)


def _ask_group(
    precinct: str, reprompts: int, preface: str = "", *, first_of_stage: bool, stage: str = "first"
) -> Response:
    if not first_of_stage:
        text = prompt("report_ask_next")
    elif stage == "first":
        text = f"{_candidate_numbers()} {prompt('report_ask_first')}"
    else:
        text = prompt("report_ask_final")
    return _ask_digits(text, "/voice/report-group", precinct, reprompts, preface)


def _again(precinct: str, draft: Draft, reprompts: int, preface: str) -> Response:
    """The same question again after a bad or missing answer; past the limit, a volunteer
    takes over with what was keyed.
    """
    if reprompts >= _limit():
        reporting.to_volunteer(services(), this_caller(), precinct)
        return hold_answer(precinct, "report_to_volunteer")
    if draft.stage in reporting.STAGES and draft.attendance is not None:
        return _ask_group(
            precinct,
            reprompts + 1,
            preface,
            first_of_stage=not getattr(draft, draft.stage),
            stage=draft.stage,
        )
    return _ask_digits(
        prompt("report_ask_attendance"),
        "/voice/report-attendance",
        precinct,
        reprompts + 1,
        preface,
    )


def _review(precinct: str, draft: Draft, reprompts: int = 0, preface: str = "") -> Response:
    if reprompts > _limit():
        reporting.to_volunteer(services(), this_caller(), precinct)
        return hold_answer(precinct, "report_to_volunteer")
    checked = reporting.review(services(), precinct, draft)
    tie = checked.toss
    if tie is not None and not checked.blocking:  # a toss only once the counts can stand
        return _ask_key(_toss_text(tie), "/voice/report-toss", precinct, reprompts, preface)
    parts = [preface] if preface else []
    parts.append(
        prompt("report_readback").format(
            precinct=spell(precinct), attendance=checked.report.attendance
        )
    )
    delegates = checked.allocation.delegates if checked.allocation else {}
    election = reporting.election(services())
    groups = [
        (c, checked.report.final[c.key])
        for c in election.candidates
        if checked.report.final.get(c.key)
    ]
    if not groups:
        parts.append(prompt("report_no_final_groups"))
    for candidate, count in groups:
        given = delegates.get(candidate.key, 0)
        parts.append(
            prompt("report_group_line").format(
                name=candidate.name,
                people=_counted(count, "person", "people"),
                delegates=_counted(given, "delegate", "delegates"),
            )
        )
    prompts = language().prompts
    for said_as, findings in (
        ("report_blocking", checked.blocking),
        ("report_warning", checked.warnings),
    ):
        parts.extend(prompt(said_as).format(message=f.said_in(prompts)) for f in findings)
    options = prompt("report_fix_options" if checked.blocking else "report_options")
    return _ask_key(options, "/voice/report-review", precinct, reprompts, " ".join(parts))


def _toss_text(tie) -> str:
    election = reporting.election(services())
    names = [election.candidate(key).name for key in tie.between]
    choices = " ".join(
        prompt("report_toss_choice").format(key=n, name=name)
        for n, name in enumerate(names, start=1)
    )
    prompts = language().prompts
    return prompt("report_ask_toss").format(
        names=wording.listed(names, prompts),
        stake=wording.stake(tie.stake, prompts),
        choices=choices,
    )


def _ask_fix_count(
    precinct: str, name: str, stage: str, reprompts: int, preface: str = ""
) -> Response:
    return _ask_digits(
        prompt(f"report_ask_fix_{stage}").format(name=name),
        "/voice/report-fix-count",
        precinct,
        reprompts,
        preface,
    )


def _draft_gone(precinct: str) -> Response:
    """This call's draft expired, or another call resumed it (the chair called again while
    this call was still up): this call starts a report of its own.
    """
    caller = this_caller()
    why = "report_taken_over" if reporting.taken_over(services(), precinct, caller) else None
    draft = reporting.begin(services(), caller, precinct)
    return _next_question(precinct, draft, prompt(why or "report_draft_gone"))


# Helpers


def _args() -> tuple[str, int, str]:
    precinct = request.args.get("precinct", "")
    if not pins.is_valid_precinct_code(precinct):
        abort(400)
    return precinct, int_arg("reprompts"), request.form.get("Digits", "").strip()


def _pound_alone(digits: str) -> bool:
    """ "#" alone: Twilio posts no digits and says the finish key ended the entry."""
    return digits == "" and request.form.get("FinishedOnKey", "") == "#"


def _problem_text(digits: str, problem: Problem | None = None) -> str:
    if problem is not None and digits:
        return prompt(problem.prompt).format(**problem.fields)
    return prompt("no_input")


def _limit() -> int:
    """Silences and bad entries in a row before a volunteer takes over (the keypad is
    harder than a PIN: two more than the other prompts allow).
    """
    return services().settings.voice.reprompts + 2


def _draft(precinct: str) -> Draft | None:
    return reporting.current(services(), precinct, this_caller())


def _keep(precinct: str, draft: Draft) -> Draft:
    return reporting.keep(services(), precinct, this_caller(), draft)


def _with_stage(draft: Draft, stage: str) -> Draft:
    return Draft(**{**_fields(draft), "stage": stage})


def _fields(draft: Draft) -> dict:
    return {name: getattr(draft, name) for name in Draft.__dataclass_fields__}


def _counted(n: int, one: str, many: str) -> str:
    """ "1 person", "8 people", in the call's language (prompts count_<one>, count_<many>)."""
    return prompt(f"count_{one if n == 1 else many}").format(count=n)


def _candidate_numbers() -> str:
    election = reporting.election(services())
    listed = ", ".join(f"{c.keypad} {c.name}" for c in election.candidates)
    return prompt("report_candidates").format(candidates=listed)


def _ask_digits(text: str, path: str, precinct: str, reprompts: int, preface: str = "") -> Response:
    return ask(text, url(path, precinct=precinct, reprompts=reprompts, step=next_step()), preface)


def _ask_key(text: str, path: str, precinct: str, reprompts: int, preface: str = "") -> Response:
    action = url(path, precinct=precinct, reprompts=reprompts, step=next_step())
    return respond(
        twiml.ask_key(text, action, services().settings.voice.gather_timeout_s, speech(), preface)
    )
