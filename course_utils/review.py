"""Check your understanding: short auto-checked review questions at the end of each lesson.

Each lesson ends with a few multiple-choice and numeric questions. ``review_questions(lesson)``
shows them; ``check_review(lesson, answers)`` says, per question, whether the answer is right,
wrong (with the explanation and the lesson section to re-read) or not answered yet, and gives a
score. Nothing needs a widget and nothing raises while a question is unanswered, so a lesson runs
the same headless (papermill, nbval) as in JupyterLab; in JupyterLab the feedback is rendered as
HTML, verdict first.

Every question names the interview question(s) of the course it trains (:data:`INTERVIEW_QUESTIONS`,
the fifteen questions the appendix notebook answers) and, where the lesson measures what the
explanation says, the claim (``record.claim(id, ...)``) whose recorded number backs it.
:func:`load_course_results` and :func:`show_interview_evidence` read those recorded claims back
from the executed lessons for the appendix.

The banks are keyed by topic; :data:`REVIEW_LESSONS` maps each topic to its notebook's stem and is
the one table to edit when a lesson is renumbered.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Real
from pathlib import Path
from typing import Any

from .results import wrap_line

__all__ = [
    "INTERVIEW_EVIDENCE",
    "INTERVIEW_QUESTIONS",
    "REVIEW_LESSONS",
    "MultipleChoice",
    "Numeric",
    "QuestionFeedback",
    "ReviewResult",
    "ReviewSheet",
    "check_review",
    "interview_coverage",
    "load_course_results",
    "review_questions",
    "show_interview_evidence",
]

#: Topic -> the notebook's stem. The one table to edit when a lesson is renumbered (a lesson may
#: still call ``review_questions`` with its old stem: the topic after the number is matched too).
REVIEW_LESSONS: dict[str, str] = {
    "overfitting": "01_overfitting",
    "l1_l2": "02_l1_l2",
    "dropout": "03_dropout",
    "batch_norm": "04_batch_norm",
    "early_stopping": "05_early_stopping",
    "lr_schedules": "06_lr_schedules",
    "optimizers": "07_optimizers",
    "combined_models": "08_combined_models",
    "augmentation": "09_augmentation",
    "exercises": "10_exercises",  # the capstone
}

#: The fifteen interview questions of the course's sources, answered in the appendix notebook.
INTERVIEW_QUESTIONS: dict[int, str] = {
    1: "How does dropout work, and what is inverted dropout?",
    2: "What is the difference between L1 and L2 regularization?",
    3: "Explain batch normalization in detail. Where do you place it?",
    4: "Batch normalization or layer normalization: what is the difference, and when do you use which?",
    5: "How do you use early stopping without leaking information from the test set?",
    6: "How does data augmentation act as a regularizer?",
    7: "How do you combine several regularization techniques?",
    8: "How does dropout behave at training time and at inference time?",
    9: "Is weight decay the same as L2 regularization?",
    10: "What is the curse of dimensionality, and what does it mean for overfitting?",
    11: "How do you choose dropout rates for different layer types (and is input dropout useful)?",
    12: "What is Monte Carlo dropout, and what is it good for?",
    13: "How does regularization interact with the learning rate and the optimizer?",
    14: "How do you diagnose too much or too little regularization?",
    15: "What regularization strategy would you use for a model in production?",
}

_WRAP = "white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal;"


@dataclass(frozen=True)
class _Question:
    """Fields common to both kinds of question (see :class:`MultipleChoice`, :class:`Numeric`)."""

    id: str
    prompt: str
    explanation: str
    #: Where the lesson answers it: ``((topic, section heading), ...)``, the heading as the master
    #: notebook writes it, without the ``#`` marks (``"3. Dropout narrows the train/validation gap"``).
    sections: tuple[tuple[str, str], ...]
    #: The interview question numbers (keys of :data:`INTERVIEW_QUESTIONS`) it trains.
    interview: tuple[int, ...]
    #: The claims whose recorded numbers back the explanation: ``((topic, claim id), ...)``.
    claims: tuple[tuple[str, str], ...] = ()

    def where(self) -> str:
        """``'Re-read 03_dropout, section "1. ..."'``: the sections to re-read."""
        parts = [f'{REVIEW_LESSONS.get(t, t)}, section "{heading}"' for t, heading in self.sections]
        return "Re-read " + "; ".join(parts) + "."

    def _normalize(self, answer: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _is_right(self, answer: Any) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def _format_answer(self, answer: Any) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _format_correct(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _text(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def check(self, answer: Any) -> QuestionFeedback:
        """Compares ``answer`` with the correct one.

        Args:
            answer: The learner's answer; ``None`` or ``...`` means "not answered yet".

        Returns:
            A :class:`QuestionFeedback`.

        Raises:
            ValueError: If the answer has the wrong form (a letter that is not a choice, a word
                where a number is expected).
        """
        if answer is None or answer is Ellipsis:
            return QuestionFeedback(self, None, "unanswered")
        given = self._normalize(answer)
        return QuestionFeedback(self, given, "right" if self._is_right(given) else "wrong")


@dataclass(frozen=True)
class MultipleChoice(_Question):
    """A question answered with the letter of one of its choices.

    Attributes:
        choices: Letter -> option text, e.g. ``{"a": "...", "b": "..."}``.
        answer: The letter of the correct option.

    Example:

    >>> from course_utils.review import MultipleChoice
    >>> q = MultipleChoice("q1", "2 + 2?", "2 + 2 is 4.", (("overfitting", "1. ..."),), (14,),
    ...                    choices={"a": "3", "b": "4"}, answer="b")
    >>> q.check("B").status, q.check(None).status
    ('right', 'unanswered')
    """

    choices: Mapping[str, str] = field(default_factory=dict)
    answer: str = ""

    def _normalize(self, answer: Any) -> str:
        letter = str(answer).strip().lower().strip("()")
        if not isinstance(answer, str) or letter not in self.choices:
            raise ValueError(
                f"Question {self.id!r}: {answer!r} is not one of its choices. Answer with one of "
                f"{', '.join(repr(k) for k in self.choices)} (the letter in quotes), or None to leave "
                "it for later."
            )
        return letter

    def _is_right(self, answer: Any) -> bool:
        return bool(answer == self.answer)

    def _format_answer(self, answer: Any) -> str:
        return f"({answer}) {self.choices[answer]}"

    def _format_correct(self) -> str:
        return self._format_answer(self.answer)

    def _text(self) -> str:
        return "\n".join(
            wrap_line(f"({k}) {v}", indent="   ", hanging="       ") for k, v in self.choices.items()
        )


@dataclass(frozen=True)
class Numeric(_Question):
    """A question answered with a number, right within a relative tolerance.

    Attributes:
        answer: The correct value.
        rel_tol: The relative tolerance (default 1 %).
        abs_tol: The absolute tolerance, for answers near 0.

    Example:

    >>> from course_utils.review import Numeric
    >>> q = Numeric("q2", "1 / (1 - 0.5)?", "It is 2.", (("dropout", "1. ..."),), (1,), answer=2.0)
    >>> q.check(2.001).status, q.check(3).status
    ('right', 'wrong')
    """

    answer: float = 0.0
    rel_tol: float = 0.01
    abs_tol: float = 1e-9

    def _normalize(self, answer: Any) -> float:
        if isinstance(answer, bool) or not isinstance(answer, Real) or not math.isfinite(float(answer)):
            raise ValueError(
                f"Question {self.id!r} expects a finite number (for example {self.answer!r}), "
                f"not {answer!r}. Write the number itself, without quotes, or None to leave it for later."
            )
        return float(answer)

    def _is_right(self, answer: Any) -> bool:
        return math.isclose(float(answer), self.answer, rel_tol=self.rel_tol, abs_tol=self.abs_tol)

    def _format_answer(self, answer: Any) -> str:
        return f"{answer:.6g}"

    def _format_correct(self) -> str:
        return self._format_answer(self.answer)

    def _text(self) -> str:
        return "   (answer with a number)"


@dataclass(frozen=True)
class QuestionFeedback:
    """The verdict on one answer.

    Attributes:
        question: The question.
        given: The normalized answer (a letter or a float), ``None`` if unanswered.
        status: ``"right"``, ``"wrong"`` or ``"unanswered"``.

    Example:

    >>> import course_utils as cu
    >>> feedback = cu.check_review("03_dropout", {"q2": "a"}).feedback[0]
    >>> feedback.status, feedback.message()
    ('unanswered', 'q1: not answered yet.')
    """

    question: _Question
    given: Any
    status: str

    def message(self) -> str:
        """The feedback in words: the verdict first, then the explanation and where to read."""
        q = self.question
        if self.status == "unanswered":
            return f"{q.id}: not answered yet."
        if self.status == "right":
            return f"{q.id}: right. {q.explanation}"
        right = q._format_correct()
        return (
            f"{q.id}: not quite (you answered {q._format_answer(self.given)}). The answer is {right}. "
            f"{q.explanation} {q.where()}"
        )


def _wrap(text: str) -> str:
    return "\n".join(wrap_line(line) for line in text.splitlines())


def _html(text: str) -> str:
    escaped = html.escape(text, quote=True)
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escaped)


@dataclass(frozen=True)
class ReviewSheet:
    """A lesson's review questions, as :func:`review_questions` shows them.

    Attributes:
        lesson: The notebook's stem, e.g. ``"03_dropout"``.
        questions: The questions, in order.

    Example:

    >>> import course_utils as cu
    >>> sheet = cu.review_questions("dropout")
    >>> sheet.lesson, len(sheet.questions)
    ('03_dropout', 5)
    """

    lesson: str
    questions: tuple[MultipleChoice | Numeric, ...]

    def template(self) -> str:
        """The answers dictionary to fill in: ``review_answers = {"q1": None, ...}``."""
        return "review_answers = {" + ", ".join(f'"{q.id}": None' for q in self.questions) + "}"

    def __str__(self) -> str:
        covered = sorted({n for q in self.questions for n in q.interview})
        lines = [
            _wrap(
                f"Check your understanding ({self.lesson}): {len(self.questions)} questions, "
                f"interview question(s) {', '.join(map(str, covered))}."
            )
        ]
        for q in self.questions:
            lines.append(_wrap(f"{q.id}. {q.prompt}"))
            lines.append(q._text())
        lines.append(
            _wrap(
                f"Fill in {self.template()} (a letter in quotes, or a number), then run "
                f'cu.check_review("{self.lesson}", review_answers).'
            )
        )
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        items = []
        for q in self.questions:
            if isinstance(q, MultipleChoice):
                opts = "".join(f"<li><b>({k})</b> {_html(v)}</li>" for k, v in q.choices.items())
                body = f'<ul style="list-style: none; padding-left: 1em; margin: 0.2em 0;">{opts}</ul>'
            else:
                body = '<div style="padding-left: 1em;"><i>Answer with a number.</i></div>'
            items.append(f'<li style="margin-bottom: 0.5em;"><b>{q.id}.</b> {_html(q.prompt)}{body}</li>')
        return (
            f'<div class="course-review" style="{_WRAP} line-height: 1.45;">'
            f"<div><b>Check your understanding</b> ({_html(self.lesson)})</div>"
            f'<ol style="list-style: none; padding-left: 0;">{"".join(items)}</ol>'
            f"<div>Fill in <code>{_html(self.template())}</code>, then run "
            f'<code>cu.check_review("{_html(self.lesson)}", review_answers)</code>.</div></div>'
        )


@dataclass(frozen=True)
class ReviewResult:
    """Per-question feedback and a score, as :func:`check_review` returns them.

    Attributes:
        lesson: The notebook's stem.
        feedback: One :class:`QuestionFeedback` per question, in order.

    Example:

    >>> import course_utils as cu
    >>> result = cu.check_review("03_dropout", {})
    >>> result.score, result.total, result.answered
    (0, 5, 0)
    """

    lesson: str
    feedback: tuple[QuestionFeedback, ...]

    @property
    def score(self) -> int:
        """The number of right answers."""
        return sum(f.status == "right" for f in self.feedback)

    @property
    def total(self) -> int:
        return len(self.feedback)

    @property
    def answered(self) -> int:
        return sum(f.status != "unanswered" for f in self.feedback)

    @property
    def all_right(self) -> bool:
        return self.score == self.total

    def verdict(self) -> str:
        """The first line: ``"03_dropout: 3 of 4 right (1 not answered yet)"``."""
        left = self.total - self.answered
        tail = f" ({left} not answered yet)" if left else ""
        return f"{self.lesson}: {self.score} of {self.total} right{tail}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "lesson": self.lesson,
            "score": self.score,
            "total": self.total,
            "answers": {f.question.id: f.status for f in self.feedback},
        }

    def __str__(self) -> str:
        return "\n".join([self.verdict(), *(_wrap(f.message()) for f in self.feedback)])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colors = {
            "right": "var(--jp-success-color1, #2e7d32)",
            "wrong": "var(--jp-error-color1, #c62828)",
            "unanswered": "var(--jp-ui-font-color2, #757575)",
        }
        head = colors["right"] if self.all_right else colors["wrong" if self.answered else "unanswered"]
        parts = [
            f'<div class="course-review" style="{_WRAP} line-height: 1.45;">',
            f'<div style="font-weight: bold; color: {head}; margin-bottom: 0.4em;">'
            f"{_html(self.verdict())}</div>",
        ]
        for f in self.feedback:
            parts.append(
                f'<div style="{_WRAP} margin: 0 0 0.4em 0; padding-left: 0.7em; '
                f'border-left: 3px solid {colors[f.status]};">{_html(f.message())}</div>'
            )
        parts.append("</div>")
        return "".join(parts)


# ---- the question banks -------------------------------------------------------------------------


def _mc(
    id: str,
    prompt: str,
    choices: Sequence[str],
    answer: str,
    explanation: str,
    sections: Sequence[tuple[str, str]],
    interview: Sequence[int],
    claims: Sequence[tuple[str, str]] = (),
    shuffle: bool = True,
) -> MultipleChoice:
    letters = "abcdefgh"
    question = MultipleChoice(
        id=id,
        prompt=prompt,
        explanation=explanation,
        sections=tuple(sections),
        interview=tuple(interview),
        claims=tuple(claims),
        choices={letters[i]: text for i, text in enumerate(choices)},
        answer=answer,
    )
    if not shuffle:
        _FIXED_ORDER.add(_id_of(question))
    return question


#: Questions whose choices keep the order the bank writes (labels "A", "B", "C").
_FIXED_ORDER: set[tuple[str, str]] = set()


def _id_of(question: MultipleChoice | Numeric) -> tuple[str, str]:
    """``(prompt, id)``: what tells two questions apart across banks."""
    return (question.prompt, question.id)


#: Where the right choice goes, question by question (see `_placed`): the right letters are spread
#: evenly over a, b and c, with no pattern a learner could follow.
_PLACES = (2, 0, 1, 0, 2, 1, 1, 2, 0, 1, 0, 2)


def _placed(question: MultipleChoice | Numeric, bank: int, number: int) -> MultipleChoice | Numeric:
    """The question with its right choice moved to place ``_PLACES[...]`` (the other choices keep
    their order). The banks are written with the choices in a natural order, which too often puts
    the right one in the middle. The place depends only on the bank's and the question's position,
    so a question added at the end of a bank moves no other question's letters."""
    if not isinstance(question, MultipleChoice) or _id_of(question) in _FIXED_ORDER:
        return question
    texts = list(question.choices.values())
    right = question.choices[question.answer]
    others = [text for text in texts if text != right]
    place = _PLACES[(5 * bank + number) % len(_PLACES)] % len(texts)
    texts = [*others[:place], right, *others[place:]]
    letters = "abcdefgh"
    return replace(
        question,
        choices={letters[i]: text for i, text in enumerate(texts)},
        answer=letters[texts.index(right)],
    )


def _num(
    id: str,
    prompt: str,
    answer: float,
    explanation: str,
    sections: Sequence[tuple[str, str]],
    interview: Sequence[int],
    claims: Sequence[tuple[str, str]] = (),
    rel_tol: float = 0.01,
) -> Numeric:
    return Numeric(
        id=id,
        prompt=prompt,
        explanation=explanation,
        sections=tuple(sections),
        interview=tuple(interview),
        claims=tuple(claims),
        answer=float(answer),
        rel_tol=rel_tol,
    )


_O, _L, _D, _B = "overfitting", "l1_l2", "dropout", "batch_norm"
_E, _S, _P, _C = "early_stopping", "lr_schedules", "optimizers", "combined_models"
_A = "augmentation"

_BANKS: dict[str, tuple[MultipleChoice | Numeric, ...]] = {
    _O: (
        _mc(
            "q1",
            "Three runs of the same network. A: training accuracy 0.62, validation 0.60. B: training 1.00, "
            "validation 0.78, validation loss rising since its minimum at epoch 28. C: training 0.95, "
            "validation 0.93, validation loss flat at its minimum. Which run needs more regularization "
            "(or an earlier stop)?",
            ["A", "B", "C"],
            "b",
            "B shows the three symptoms of overfitting: near-perfect training accuracy, a clear gap and a "
            "validation loss that turns around. A underfits (it needs less regularization or more "
            "capacity); C fits well.",
            [
                (_O, "6. A decision guide: underfitting or overfitting?"),
                (_O, "3. An over-sized network, trained for too long"),
            ],
            (14,),
            shuffle=False,
        ),
        _mc(
            "q2",
            "You add a regularizer and now training accuracy is 0.55 and validation accuracy 0.54 on a "
            "task where a plain model reaches 0.9 on both. What is the likely problem?",
            [
                "too much regularization: the model underfits, lower the strength",
                "too little regularization: the gap is what matters, and it is small",
                "nothing: a small gap means the model generalizes",
            ],
            "a",
            "A small gap with poor accuracy on both sets is underfitting: the regularizer stops the "
            "model from fitting even the real pattern. Judge a strength by validation accuracy, not by "
            "the gap alone.",
            [(_O, "6. A decision guide: underfitting or overfitting?")],
            (14,),
        ),
        _mc(
            "q3",
            "The validation loss rises while the validation accuracy does not fall. Why can that happen?",
            [
                "the validation set is leaking into training",
                "the model becomes more confident, including on the validation images it gets wrong, "
                "and cross-entropy punishes confident mistakes without bound",
                "the learning rate is too small",
            ],
            "b",
            "Cross-entropy is -log p of the true class: a mistake made with more confidence costs more, "
            "even if the number of mistakes stays the same. The lesson's callback measured the rising "
            "confidence on wrong validation images.",
            [(_O, "Reading the learning curves"), (_O, "3. An over-sized network, trained for too long")],
            (14,),
        ),
        _mc(
            "q4",
            "On clean labels the over-sized network generalizes at least as well as the small ones; "
            "with 20 % of the labels flipped its gap grows far more with capacity. What does this show?",
            [
                "bigger networks always generalize worse",
                "capacity makes memorizing possible; the damage comes from what there is to memorize "
                "(noise, or too few examples)",
                "label noise makes small networks overfit",
            ],
            "b",
            "Capacity lets a network memorize; whether that hurts depends on the data. That is why the "
            "course measures each regularizer instead of assuming it helps.",
            [(_O, "4. Capacity: bigger models can memorize more")],
            (14,),
            claims=[(_O, "clean_labels_gap_grows_less")],
        ),
        _mc(
            "q5",
            "150 points drawn uniformly at random in 2,048 dimensions. From a query point, how far is the "
            "farthest of them compared with the nearest?",
            [
                "hundreds of times farther, since the space is so large",
                "only a little farther (the relative contrast is near 0): distances concentrate",
                "exactly as far: all distances are equal in high dimensions",
            ],
            "b",
            "The relative contrast (farthest - nearest) / nearest shrinks towards 0 as the dimension grows "
            "(the lesson measured it at every step up), but it is never exactly 0 for a finite set of "
            "points. A nearest neighbour hardly stands out, and a few hundred points leave a flexible "
            "model free to fit any labelling. Real images keep a far larger contrast than noise in as "
            "many dimensions: they lie near a low-dimensional structure.",
            [(_O, "5. More data shrinks the gap")],
            (10,),
            claims=[(_O, "distances_concentrate"), (_O, "real_images_are_not_uniform")],
        ),
    ),
    _L: (
        _num(
            "q1",
            "A layer has the weights [3, -4] and `kernel_regularizer=keras.regularizers.L2(0.01)`. What "
            "does Keras add to the loss for it?",
            0.25,
            "Keras's L2 is lambda * sum(w^2) with no factor 1/2: 0.01 * (9 + 16) = 0.25.",
            [(_L, "2.1 The penalty view")],
            (2,),
        ),
        _mc(
            "q2",
            "Why does L1 drive many weights to (near) zero while L2 under plain SGD only makes them small?",
            [
                "L1's pull towards zero has the same size lambda for every weight, however small; L2's "
                "pull 2*lambda*w fades as the weight shrinks",
                "L1 uses a larger lambda",
                "L2 is applied only to biases",
            ],
            "a",
            "The gradient of lambda*|w| is lambda*sign(w): constant in size, so a weight the data does "
            "not need is pushed all the way to zero. The lesson measured most weights near zero under L1.",
            [(_L, "3. L1 regularization and sparsity")],
            (2,),
            claims=[(_L, "l1_sparse")],
        ),
        _mc(
            "q3",
            "With Adam, is an L2 penalty in the loss the same as weight decay?",
            [
                "yes: the penalty's gradient 2*lambda*w always shrinks every weight by the same fraction",
                "no: Adam divides the penalty's gradient by each weight's running gradient size, so the "
                "decay is weak where gradients are large and amplified where they are small; AdamW "
                "decouples it",
                "no: Adam ignores `kernel_regularizer`",
            ],
            "b",
            "For plain SGD, L2 and weight decay coincide (wd = 2*lambda). Under Adam the penalty goes "
            "through the adaptive denominator; the SGD control showed the sparsity it causes comes "
            "from Adam.",
            [
                (_L, "6. L2 in the loss vs. decoupled weight decay (`AdamW`)"),
                (_L, "Where does L2's sparsity under Adam come from? A control"),
            ],
            (9, 13),
            claims=[(_L, "l2_sparsity_comes_from_adam"), (_L, "l2_under_adam_also_sparsifies")],
        ),
        _num(
            "q4",
            "One plain-SGD step with learning rate 0.1 on an L2 penalty with lambda = 0.05 and no data "
            "gradient: by what factor is every weight multiplied?",
            0.99,
            "w <- (1 - 2*eta*lambda) w = (1 - 2 * 0.1 * 0.05) w = 0.99 w: every weight loses the same "
            "fraction of itself. That is the weight-decay view of L2.",
            [(_L, "2.2 The weight-decay view")],
            (2, 9),
            rel_tol=1e-4,
        ),
        _mc(
            "q5",
            "A regularizer narrows the gap from 0.22 to 0.0 on one seed, and validation accuracy rises by "
            "less than two standard errors. What can you conclude?",
            [
                "the regularizer improves validation accuracy",
                "it stops the memorization (the gap), but a validation gain needs several seeds to show",
                "it makes the model worse",
            ],
            "b",
            "The gap is a diagnosis; a better score is a claim that must exceed about twice its "
            "standard error. On one seed it did not; over three seeds, paired by seed, lesson 02's "
            "gains did.",
            [(_L, "7. All regularizers side by side")],
            (14, 2),
            claims=[(_L, "regularizers_narrow_the_gap"), (_L, "validation_not_lower")],
        ),
    ),
    _D: (
        _num(
            "q1",
            "Inverted dropout with rate 0.25: a unit whose activation is 3.0 survives. What value does the "
            "layer pass on in training mode?",
            4.0,
            "Survivors are scaled by 1/(1-p) = 1/0.75, so 3.0 becomes 4.0 and the expected output equals "
            "the input.",
            [(_D, "1. Dropout from scratch: a Bernoulli mask and a rescaling")],
            (1,),
        ),
        _mc(
            "q2",
            "Two calls `model(x, training=True)` of a trained dropout model give different outputs; two "
            "calls `model.predict(x)` give identical ones. Why?",
            [
                "`predict` fixes the random seed",
                "each training-mode call draws a new mask; `predict` runs with training=False, where "
                "inverted dropout is the identity",
                "`predict` averages many masks",
            ],
            "b",
            "Keras's Dropout is inverted dropout: the rescaling by 1/(1-p) happens in training, so at "
            "inference (predict, evaluate, model(x)) there is nothing to drop or scale. The original 2014 "
            "paper instead scaled the weights at test time.",
            [
                (_D, "2. Keras's `Dropout` layer does the same, and only in training mode"),
                (_D, "5. Inference is deterministic; MC dropout makes it stochastic on purpose"),
            ],
            (1, 8),
        ),
        _mc(
            "q3",
            "A dropout model's training accuracy logged by `fit` is 0.80, but `model.evaluate` on the "
            "training set gives 0.93. Which number measures how well it fits its training set?",
            [
                "0.80: `fit` measures the training set",
                "0.93: `fit` logs accuracy with dropout on, which understates the fit",
                "neither: dropout models cannot be evaluated on their training set",
            ],
            "b",
            "The accuracy `fit` logs is computed during the training steps, with dropout active; "
            "measure the gap with the training set evaluated in inference mode.",
            [(_D, "3. Dropout narrows the train/validation gap")],
            (8, 14),
        ),
        _mc(
            "q4",
            "In a rate sweep the largest rate (0.9) gives the smallest gap but the lowest validation "
            "accuracy. Which rate do you pick?",
            [
                "0.9: the smallest gap",
                "the rate with the highest validation accuracy (ties within two standard errors are ties)",
                "0: dropout did not help",
            ],
            "b",
            "Too much dropout underfits: both accuracies fall, so the gap shrinks for the wrong reason. "
            "Common starting points are about 0.5 for wide hidden layers and 0.1-0.2 on inputs or "
            "convolutional layers (there SpatialDropout2D, which drops whole channels).",
            [
                (_D, "4. Choosing the rate: a validation sweep"),
                (_D, "6. Spatial dropout for convolutional feature maps"),
            ],
            (11, 14),
        ),
        _mc(
            "q5",
            "What does MC dropout add to a trained dropout model, and what did the lesson measure?",
            [
                "nothing new: it is the same as one inference pass",
                "T stochastic passes with dropout on; their spread is an uncertainty estimate, larger on "
                "out-of-distribution images than on real digits, where the softmax confidence stays high",
                "it retrains the model with a new mask",
            ],
            "b",
            "Keeping dropout on at prediction (model(x, training=True)) samples sub-networks; they agree on "
            "familiar inputs and disagree on unfamiliar ones. It costs T forward passes and no retraining.",
            [(_D, "5. Inference is deterministic; MC dropout makes it stochastic on purpose")],
            (12,),
            claims=[(_D, "mc_spread_larger_out_of_distribution"), (_D, "softmax_confidence_stays_high")],
        ),
    ),
    _B: (
        _num(
            "q1",
            "A batch-norm feature has batch mean 4 and batch variance 9 (ignore epsilon); gamma = 2, beta "
            "= 1. "
            "What does the layer output, in training mode, for an input of 10?",
            5.0,
            "x_hat = (10 - 4) / 3 = 2, then y = gamma * x_hat + beta = 2 * 2 + 1 = 5.",
            [(_B, "1. What batch normalization computes")],
            (3,),
        ),
        _mc(
            "q2",
            "Where does the original batch-norm paper (Ioffe & Szegedy, 2015) place the layer, and what did "
            "the lesson measure?",
            [
                "after the activation; the lesson found 'before' fails to train",
                "between the linear layer and its nonlinearity (Dense -> BN -> ReLU); over seeds, 'after' "
                "reached the target loss sooner with no measurable difference in validation accuracy",
                "before the linear layer, on the raw inputs",
            ],
            "b",
            "The paper normalizes the pre-activations (and the Dense bias becomes redundant); many "
            "practitioners put it after the ReLU. Neither is 'correct': measure over several seeds.",
            [(_B, "6. Before or after the activation?")],
            (3,),
            claims=[
                (_B, "both_placements_train"),
                (_B, "placement_no_measurable_validation_difference"),
                (_B, "after_reaches_the_target_sooner"),
            ],
        ),
        _mc(
            "q3",
            "A trained batch-norm network predicts one image alone, then the same image inside a batch of "
            "31 others (`model.predict`). Its outputs for that image",
            [
                "differ, because the batch statistics differ",
                "are the same: inference mode normalizes with the moving averages accumulated in training",
                "cannot be computed for a single image",
            ],
            "b",
            "Inference mode uses the moving mean and variance, so a prediction does not depend on the "
            "other images of its batch. Calling the model with training=True outside fit updates them.",
            [(_B, "5. Training mode, inference mode and the moving statistics")],
            (3,),
        ),
        _mc(
            "q4",
            "You must train with batches of 2 examples. Which normalization, and why?",
            [
                "batch norm: it needs no change for small batches",
                "layer norm: it normalizes each example over its own features, so its output does not "
                "depend on the rest of the batch and training and inference compute the same thing",
                "no normalization can work with batches of 2",
            ],
            "b",
            "With 2 examples batch norm's normalized values are +1 and -1, and its two modes disagree; "
            "layer norm has one mode and no moving statistics (the normalization of Transformers).",
            [(_B, "7. Small batches, and layer normalization")],
            (4,),
        ),
        _mc(
            "q5",
            "At a learning rate ten times the usual one, the plain ReLU network stays at chance level while "
            "the batch-norm network trains. What mechanism did the lesson count?",
            [
                "the plain network's ReLUs die in bulk; BN centres each unit's input over the batch and "
                "keeps it firing, and its output is invariant to the scale of the weights before it",
                "batch norm lowers the learning rate automatically by a factor of ten",
                "batch norm adds dropout",
            ],
            "a",
            "BN(aWx) = BN(Wx): a step that inflates the weights does not inflate the next layer's input, "
            "and it shrinks later gradients. That is how normalization interacts with the learning rate.",
            [(_B, "4. A learning rate the plain network cannot take")],
            (3, 13),
            claims=[(_B, "high_rate_kills_plain_relus")],
        ),
        _num(
            "q6",
            "A square Dense layer (n inputs, n units) with Glorot weights, Var(w) = 2 / (n_in + n_out), "
            "feeds a ReLU. By what factor does the root mean square of the activations change from one such "
            "layer to the next?",
            0.5**0.5,
            "The mean square is multiplied by n Var(w) / 2 = n (1/n) / 2 = 1/2, so the root mean square by "
            "sqrt(1/2) = 0.707 per layer; He's Var(w) = 2/n gives 1. The lesson measured 0.69-0.70 against "
            "a predicted 0.707 over ten layers.",
            [(_B, "8. Initialization: the scale that batch norm takes care of")],
            (3,),
            claims=[(_B, "init_scale_follows_n_var_over_2")],
            rel_tol=0.02,
        ),
        _mc(
            "q7",
            "A 10-layer ReLU MLP started from RandomNormal(stddev=0.01) stays at chance level. With "
            "batch norm before every ReLU its training loss falls, yet after a short training its "
            "validation accuracy is still at chance. Why?",
            [
                "batch norm makes the network overfit the training set",
                "validation runs in inference mode, with moving statistics that still carry much of their "
                "start (variance 1), far from the tiny variances these weights give: every layer is "
                "normalized with the wrong numbers, while the batch's own statistics do better",
                "batch norm cannot be combined with a normal initializer",
            ],
            "b",
            "Batch norm divides out the weights' scale with the BATCH's statistics; its moving averages need "
            "hundreds of steps to forget their start (section 5). The same weights scored higher with batch "
            "statistics on every seed. Start from He or Glorot weights, or lower the momentum.",
            [
                (_B, "8. Initialization: the scale that batch norm takes care of"),
                (_B, "5. Training mode, inference mode and the moving statistics"),
            ],
            (3,),
            claims=[
                (_B, "too_small_init_needs_batch_norm"),
                (_B, "rescued_network_needs_its_batch_statistics"),
            ],
        ),
    ),
    _E: (
        _mc(
            "q1",
            "Which split may `EarlyStopping` monitor without leaking information into your final score?",
            [
                "the test split: it is the most honest",
                "the validation split; the test split is evaluated once, at the end",
                "the training loss: it needs no extra data",
            ],
            "b",
            "Stopping chooses an epoch by its score, which is model selection: the split it chooses by "
            "becomes optimistic. The training loss keeps falling while the model overfits, so it cannot "
            "tell when to stop.",
            [(_E, "1. The idea: the number of epochs is a hyperparameter"), (_E, "7. The final test, once")],
            (5,),
        ),
        _mc(
            "q2",
            "`EarlyStopping(patience=10, restore_best_weights=False)` stops at epoch 24, the best epoch "
            "being 14. Which weights does the model hold?",
            [
                "epoch 14's",
                "epoch 24's: the last epoch, patience epochs past the best",
                "the initial weights",
            ],
            "b",
            "Without restore_best_weights you keep the last epoch's weights (a slightly overfitted "
            "model); with it, re-evaluating gives exactly the best epoch's validation loss.",
            [
                (_E, "3.3 What `restore_best_weights` does, checked"),
                (_E, "3.4 Without restoring, and a checkpoint on the side"),
            ],
            (5,),
        ),
        _mc(
            "q3",
            "You train 64 candidates and report the best one's score on the split you picked it by. Compared "
            "with an untouched hold-out, that score is",
            [
                "unbiased",
                "optimistic, the more so with many candidates and a small split (the winner's curse)",
                "pessimistic",
            ],
            "b",
            "The winner is disproportionately a candidate whose luck on that split was good; on new data "
            "the luck is fresh. The lesson measured the expected optimism over resampled splits.",
            [(_E, "6. Selecting by the test set: the winner's curse")],
            (5, 15),
        ),
        _num(
            "q4",
            "Validation losses per epoch: 1.0, 0.8, 0.85, 0.9, 0.95, 0.7. With `patience=3` and "
            "`min_delta=0`, after how many epochs does `EarlyStopping` stop training?",
            5,
            "Epoch 2 (0.8) is the best so far; epochs 3, 4 and 5 do not improve on it, and at the third "
            "the counter reaches `patience`: training stops after epoch 5 and never sees epoch 6's 0.7. "
            "A larger patience is safer against a noisy curve but trains longer.",
            [(_E, "3.2 `EarlyStopping` and its rule")],
            (5,),
            rel_tol=0.0,
        ),
    ),
    _S: (
        _mc(
            "q1",
            "Why does a constant learning rate leave SGD above the minimum, and what does decay change?",
            [
                "the gradient noise keeps kicking the weights, which settle at a noise floor proportional "
                "to the rate; decaying keeps the fast start and lowers the floor",
                "a constant rate always diverges",
                "decay only saves compute",
            ],
            "a",
            "For a quadratic with gradient noise the expected loss settles at about eta*sigma^2/4. A "
            "schedule takes large steps early and small ones late.",
            [(_S, "1. Why decay the learning rate? The noise floor of SGD")],
            (13,),
        ),
        _num(
            "q2",
            "`ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)`: what is the learning rate at step "
            "200?",
            0.025,
            "eta(t) = eta0 * r^(t/T) = 0.1 * 0.5^2 = 0.025.",
            [(_S, "2. The schedules, their formulas, and Keras's implementations")],
            (13,),
        ),
        _mc(
            "q3",
            "Against the tuned constant rate (the range test's pick), what did cosine with warm-up buy over "
            "several seeds?",
            [
                "nothing measurable",
                "a lower training loss beyond two standard errors, and only a small edge on validation "
                "accuracy",
                "a large gain in validation accuracy",
            ],
            "b",
            "A schedule rescues a rate that is too large to keep; against a well-chosen constant rate it "
            "mostly buys a lower training loss. The learning rate is a regularization knob too: noise "
            "from a large rate and decay interact with the other regularizers.",
            [(_S, "4. Same budget, with and without a schedule")],
            (13,),
            claims=[(_S, "cosine_lower_training_loss"), (_S, "cosine_validation_edge_is_small")],
        ),
        _mc(
            "q4",
            "You want `ReduceLROnPlateau` to cut the rate. What must the optimizer's `learning_rate` be?",
            [
                "a schedule object such as `CosineDecay`",
                "a float: the callback assigns the optimizer's rate variable, which a schedule object does "
                "not have",
                "anything: the callback replaces the optimizer",
            ],
            "b",
            "ReduceLROnPlateau reacts after `patience` epochs without improvement and multiplies a float "
            "rate by `factor`.",
            [(_S, "5. Reacting to the data: `ReduceLROnPlateau`")],
            (13,),
        ),
    ),
    _P: (
        _num(
            "q1",
            "Adam's very first step on a weight whose gradient is -250, with learning rate 0.001: how much "
            "does the weight change (signed; ignore epsilon)?",
            0.001,
            "At t = 1 bias correction gives m_hat = g and v_hat = g^2, so the step is -eta*g/|g| = +0.001, "
            "whatever the gradient's scale.",
            [(_P, "1. The update rules")],
            (13,),
        ),
        _num(
            "q2",
            "`AdamW(learning_rate=0.001, weight_decay=20)` on a weight whose data gradient is zero: by what "
            "factor is the weight multiplied at each step?",
            0.98,
            "Keras multiplies `weight_decay` by the learning rate: w <- w - eta*wd*w = (1 - 0.001*20) w = "
            "0.98 w, outside Adam's rescaling (Adam's own step is 0 here). With an L2 penalty in the loss "
            "instead, Adam would move such a weight by about eta whatever its size.",
            [(_P, "1. The update rules"), (_L, "6. L2 in the loss vs. decoupled weight decay (`AdamW`)")],
            (9,),
            claims=[(_L, "adamw_weights_bounded_by_one_over_wd")],
            rel_tol=1e-4,
        ),
        _mc(
            "q3",
            "What makes a comparison of optimizers fair?",
            [
                "the same number of epochs, whatever the initial weights",
                "identical data, batches and initial weights, and ideally each optimizer's learning rate "
                "tuned",
                "the same learning rate for every optimizer, and nothing else",
            ],
            "b",
            "Start from the same weights (clone_model + set_weights) and the same batches, so only the "
            "optimizer differs; a ranking without tuning each learning rate says little.",
            [
                (_P, "2. A fair comparison: same data, same initial weights"),
                (_P, "3. Reading the comparison, over seeds"),
            ],
            (13,),
        ),
        _num(
            "q4",
            "Two gradients with norms 3 and 4 (one per variable) go through `global_clipnorm=1`. What is "
            "the norm of the first one afterwards?",
            0.6,
            "The global norm is sqrt(3^2 + 4^2) = 5, so every gradient is scaled by 1/5: 3 becomes 0.6, "
            "and the direction of the whole gradient is kept.",
            [(_P, "8. Gradient clipping")],
            (13,),
        ),
    ),
    _C: (
        _mc(
            "q1",
            "Which order is safe when a block uses both dropout and batch norm?",
            [
                "dropout right before batch norm",
                "dropout after the last batch-norm layer (or not both in one block): dropout inflates the "
                "training-mode variance that batch norm would then use at inference",
                "it does not matter",
            ],
            "b",
            "Inverted dropout preserves the mean but multiplies the variance; the lesson measured the "
            "predicted and the measured variance ratio agreeing.",
            [(_C, "2. Why tools interact"), (_C, "8. A production checklist")],
            (7,),
        ),
        _mc(
            "q2",
            "The combined model (dropout + L2 + schedule + early stopping) beats the plain baseline beyond "
            "two "
            "standard errors. What must you compare it with before crediting the combination?",
            [
                "nothing more: it beat the baseline",
                "the best simple competitor, here the baseline with early stopping alone, which came within "
                "two standard errors",
                "the test set of every candidate",
            ],
            "b",
            "On a small, noisy set stopping at the right epoch did most of the work; more tools is not "
            "automatically better.",
            [(_C, "4. The results table")],
            (7, 15),
            claims=[(_C, "combined_beats_baseline"), (_C, "early_stopping_alone_is_close")],
        ),
        _mc(
            "q3",
            "With batch norm after a Dense layer, an L2 penalty on that layer's kernel mainly",
            [
                "limits the function's capacity, as without batch norm",
                "raises the effective learning rate: BN(cWx) = BN(Wx), so shrinking W changes the gradient "
                "scale, not the function",
                "has no effect at all",
            ],
            "b",
            "The gradient with respect to cW is (1/c) times that of W, so smaller weights move their "
            "direction faster: L2 with batch norm is a learning-rate knob.",
            [(_C, "2. Why tools interact")],
            (7, 13),
        ),
        _mc(
            "q4",
            "After the sweep, when is the test set evaluated?",
            [
                "for every candidate, to pick the best",
                "once, at the end, on the model chosen by validation accuracy",
                "never: the validation score is enough",
            ],
            "b",
            "Every decision used the validation set; the test set reports once. Using it to choose turns it "
            "into a second validation set.",
            [(_C, "7. Choose on validation, then test once")],
            (5, 15),
        ),
    ),
    "augmentation": (
        _mc(
            "q1",
            "Why does data augmentation regularize?",
            [
                "it adds parameters to the model",
                "the network sees a slightly different image at every step, so memorizing individual "
                "training images gets hard, and it learns the invariances it is shown",
                "it lowers the learning rate",
            ],
            "b",
            "Augmentation enlarges the effective training set with label-preserving transformations: a "
            "prior about the data, not a penalty on the weights. Lesson 09 measured both sides: the "
            "geometric layers made the CNN robust to shifted digits, yet on centred 8x8 digits they cost "
            "validation accuracy at the same budget.",
            [
                (_A, "2. Geometric augmentation layers, active only in training"),
                (_A, "5. The ablation: one budget, several seeds"),
            ],
            (6,),
            claims=[
                (_A, "geometric_augmentation_buys_shift_robustness"),
                (_A, "geometric_augmentation_costs_validation_accuracy_here"),
            ],
        ),
        _mc(
            "q2",
            "What do Keras augmentation layers such as `RandomTranslation` or `RandomRotation` do in "
            "`model.predict`?",
            [
                "transform each image at random, as in training",
                "pass the input through unchanged: they are active only in training",
                "average over several random transformations",
            ],
            "b",
            "Like dropout, augmentation layers act only when training=True; the lesson checked, inside the "
            "trained model, that two training-mode passes differ while inference returns the input "
            "unchanged.",
            [(_A, "2. Geometric augmentation layers, active only in training")],
            (6, 8),
            claims=[(_A, "augmentation_is_active_only_in_training")],
        ),
        _num(
            "q3",
            "Label smoothing with epsilon = 0.1 and K = 10 classes: what is the target probability of the "
            "true class?",
            0.91,
            "The target is (1 - eps) * y + eps / K = 0.9 + 0.01 = 0.91 for the true class (0.01 for each "
            "other): the network is never pushed towards 100 % confidence.",
            [(_A, "4. Label smoothing: softer targets, lower confidence")],
            (6,),
            claims=[(_A, "keras_label_smoothing_matches_the_formula")],
        ),
        _mc(
            "q4",
            "Why do `keras.layers.MixUp` and `keras.layers.CutMix` go in the input pipeline rather than "
            "inside the model?",
            [
                "they only run on a GPU",
                "they are too slow inside a model",
                "they mix the labels too, with the same weights as the images, and a model's layers only "
                "see the images",
                "Keras forbids random layers inside a model",
            ],
            "c",
            "Both layers take a batch of images AND one-hot labels and return both mixed (the labels still "
            "sum to 1), so they act on (images, labels) batches in a tf.data pipeline; the validation data "
            "never goes through it.",
            [(_A, "3. MixUp and CutMix: mixing images and labels in the input pipeline")],
            (6,),
            claims=[(_A, "mixed_labels_sum_to_one"), (_A, "validation_data_is_never_mixed")],
        ),
        _mc(
            "q5",
            "On the default data, what did label smoothing (eps = 0.1) do to the small CNN?",
            [
                "it raised its confidence on wrong answers and its calibration error",
                "it lowered its confidence on wrong answers, at no cost in validation accuracy, but its "
                "calibration error rose: the model became under-confident",
                "it lowered both its confidence and its calibration error, and raised its accuracy by ten "
                "points",
            ],
            "b",
            "Label smoothing lowers confidence. That improves calibration only for an over-confident "
            "network; this CNN was not, so its expected calibration error rose over the seeds, while "
            "validation accuracy showed no loss.",
            [
                (_A, "4. Label smoothing: softer targets, lower confidence"),
                (_A, "5. The ablation: one budget, several seeds"),
            ],
            (6, 14),
            claims=[
                (_A, "label_smoothing_lowers_confidence_on_wrong_answers"),
                (_A, "label_smoothing_raises_calibration_error_here"),
                (_A, "label_smoothing_costs_no_validation_accuracy"),
            ],
        ),
    ),
    "exercises": (
        _mc(
            "q1",
            "The curse of dimensionality: with 64 input pixels and 150 training images, why can an MLP fit "
            "any "
            "labelling, and what helps?",
            [
                "the data are dense in 64 dimensions, so nothing helps",
                "in high dimensions a few hundred points are sparse: every point is far from the others "
                "and a "
                "flexible model can separate them whatever their labels; more data, fewer effective "
                "dimensions (structure such as convolutions, augmentation) and regularization help",
                "high dimensions only slow training down",
            ],
            "b",
            "Lesson 01 measured the ingredients (the over-sized network memorizes flipped labels; more data "
            "shrinks the gap); the course does not yet measure distances in high dimensions directly.",
            [(_O, "4. Capacity: bigger models can memorize more"), (_O, "5. More data shrinks the gap")],
            (10,),
            claims=[(_O, "clean_labels_gap_grows_less")],
        ),
        _mc(
            "q2",
            "A model in production: which strategy does the course recommend?",
            [
                "stack every regularizer at its strongest setting",
                "fixed splits, a baseline, one budget, tools that fit together (AdamW, dropout, augmentation "
                "layers, early stopping on validation), strengths chosen on validation over seeds, the test "
                "set once, the model saved as .keras",
                "tune on the test set, since it matches production best",
            ],
            "b",
            "That is lesson 08's checklist; every step guards against a measured failure (memorization, "
            "interacting tools, the winner's curse).",
            [(_C, "8. A production checklist"), (_E, "6. Selecting by the test set: the winner's curse")],
            (15, 7),
            claims=[(_C, "early_stopping_alone_is_close")],
        ),
        _mc(
            "q3",
            "Training accuracy 0.99 and validation 0.80: you double the L2 strength and get 0.85 / 0.84. "
            "Doubling it again gives 0.60 / 0.60. What happened?",
            [
                "the first step fixed overfitting; the second over-regularized (underfitting): go back",
                "both steps helped: the gap shrank each time",
                "the model needs a larger learning rate",
            ],
            "a",
            "Too little regularization shows as a large gap, too much as low accuracy on both sets. Choose "
            "the strength by validation accuracy.",
            [
                (_O, "6. A decision guide: underfitting or overfitting?"),
                (_D, "4. Choosing the rate: a validation sweep"),
            ],
            (14,),
        ),
        _mc(
            "q4",
            "You switch from SGD to Adam and keep the same `L2(lambda)`. What should you expect?",
            [
                "the same regularization",
                "a different, uneven strength: a lambda tuned for SGD does not transfer to Adam; retune "
                "it, or "
                "use AdamW's weight_decay",
                "no regularization at all",
            ],
            "b",
            "Adam rescales the penalty's gradient per weight; the lesson's SGD control showed very different "
            "sparsity with the same lambda.",
            [(_L, "6. L2 in the loss vs. decoupled weight decay (`AdamW`)")],
            (13, 9),
            claims=[(_L, "l2_sparsity_comes_from_adam")],
        ),
        _mc(
            "q5",
            "Which dropout rates are sensible starting points for (1) the input pixels, (2) a wide dense "
            "hidden layer, (3) a convolutional block?",
            [
                "(1) 0.5, (2) 0.1, (3) 0.5 with `Dropout`",
                "(1) 0 to 0.2, (2) about 0.5, (3) 0.1 to 0.2 with `SpatialDropout2D` (whole channels)",
                "the same rate everywhere, chosen once",
            ],
            "b",
            "Inputs carry the signal itself, so drop little of them (or augment instead); wide hidden "
            "layers take strong dropout; convolutional feature maps are correlated in space, so drop whole "
            "channels, and less. Confirm each rate with a validation sweep: on lesson 03's small noisy set "
            "the sweep peaked at a high rate.",
            [
                (_D, "4. Choosing the rate: a validation sweep"),
                (_D, "6. Spatial dropout for convolutional feature maps"),
            ],
            (11,),
        ),
    ),
}
_BANKS = {
    topic: tuple(_placed(q, k, i) for i, q in enumerate(qs)) for k, (topic, qs) in enumerate(_BANKS.items())
}


#: For each interview question, what the appendix prints from the executed lessons: the claims
#: (``(topic, claim id)``) and recorded values (``(topic, key path, label)``) that back its answer.
INTERVIEW_EVIDENCE: dict[int, dict[str, tuple[tuple[Any, ...], ...]]] = {
    1: {
        "claims": (),
        "values": (
            (_D, ("keras_dropout", "zeroed"), "share of units Keras's Dropout(0.5) zeroed in training mode"),
            (
                _D,
                ("keras_dropout", "mean_ratio"),
                "mean of its output / mean of its input (inverted dropout keeps it)",
            ),
            (_D, ("layer_modes", "inference_is_identity"), "Dropout in inference mode is the identity"),
        ),
    },
    2: {
        "claims": (
            (_L, "l1_sparse"),
            (_L, "l2_under_adam_also_sparsifies"),
            (_L, "l2_sparsity_comes_from_adam"),
        ),
        "values": (),
    },
    3: {
        "claims": (
            (_B, "high_rate_kills_plain_relus"),
            (_B, "both_placements_train"),
            (_B, "placement_no_measurable_validation_difference"),
            (_B, "after_reaches_the_target_sooner"),
        ),
        "values": (
            (_B, ("speed", "plain", "epochs_to_target"), "epochs to the target loss without batch norm"),
            (_B, ("speed", "batch_norm", "epochs_to_target"), "epochs to the target loss with batch norm"),
        ),
    },
    4: {
        "claims": (),
        "values": (
            (
                _B,
                ("batch_dependence", "batch_norm_training"),
                "largest change of one image's output across batches: BN, training mode",
            ),
            (_B, ("batch_dependence", "batch_norm_inference"), "the same, BN in inference mode"),
            (_B, ("batch_dependence", "layer_norm_training"), "the same, layer norm in training mode"),
            (
                _B,
                ("small_batch", "runs", "batch norm, batch 2", "val_accuracy"),
                "validation accuracy, BN with batches of 2",
            ),
            (
                _B,
                ("small_batch", "runs", "layer norm, batch 2", "val_accuracy"),
                "validation accuracy, layer norm with batches of 2",
            ),
        ),
    },
    5: {
        "claims": (),
        "values": (
            (_E, ("early_stopping", "epochs_run"), "epochs EarlyStopping ran"),
            (_E, ("early_stopping", "budget"), "of an epoch budget of"),
            (
                _E,
                ("selection", "excess_optimism"),
                "excess optimism of the winner picked on a small 'test' split",
            ),
            (_E, ("final_test", "accuracy"), "test accuracy of the early-stopped model, evaluated once"),
        ),
    },
    6: {
        "claims": (
            (_A, "augmentation_is_active_only_in_training"),
            (_A, "geometric_augmentation_buys_shift_robustness"),
            (_A, "geometric_augmentation_costs_validation_accuracy_here"),
            (_A, "no_augmentation_raises_validation_accuracy_here"),
            (_A, "label_smoothing_lowers_confidence_on_wrong_answers"),
            (_A, "label_smoothing_raises_calibration_error_here"),
        ),
        "values": (
            (
                _C,
                ("augmentation", "train_vs_input"),
                "augmentation layers, training mode: mean change of the images",
            ),
            (_C, ("augmentation", "inference_vs_input"), "the same in inference mode"),
            (_C, ("cnn", "gap"), "train/validation gap of the CNN with augmentation and label smoothing"),
        ),
    },
    7: {
        "claims": (
            (_C, "combined_beats_baseline"),
            (_C, "early_stopping_alone_is_close"),
            (_C, "batch_norm_costs_accuracy"),
            (_C, "batch_norm_cost_without_dropout_too"),
        ),
        "values": (
            (_C, ("dropout_variance_ratio", "predicted"), "variance ratio dropout causes, predicted"),
            (_C, ("dropout_variance_ratio", "measured"), "variance ratio dropout causes, measured"),
        ),
    },
    8: {
        "claims": (),
        "values": (
            (
                _D,
                ("model_determinism", "inference_max_abs_diff"),
                "two inference passes of the dropout model differ by at most",
            ),
            (_D, ("model_determinism", "training_max_abs_diff"), "two training-mode passes differ by up to"),
            (
                _D,
                ("gap_comparison", "dropout", "logged_train_accuracy"),
                "training accuracy logged by fit (dropout on)",
            ),
            (_D, ("gap_comparison", "dropout", "train_accuracy"), "training accuracy in inference mode"),
        ),
    },
    9: {
        "claims": ((_L, "adamw_weights_bounded_by_one_over_wd"), (_L, "l2_sparsity_comes_from_adam")),
        "values": (),
    },
    10: {
        "claims": (
            (_O, "distances_concentrate"),
            (_O, "real_images_are_not_uniform"),
            (_O, "clean_labels_gap_grows_less"),
        ),
        "values": (
            (
                _O,
                ("contrast_like_uniform_in",),
                "dimensions in which uniform points have the images' contrast",
            ),
            (_O, ("data_size", "n_train"), "training-set sizes"),
            (_O, ("data_size", "gap"), "the over-sized network's gap at each size"),
        ),
    },
    11: {
        "claims": (),
        "values": (
            (_D, ("sweep", "rates"), "dropout rates swept"),
            (_D, ("sweep", "val_accuracy"), "validation accuracy at each rate"),
            (_D, ("sweep", "peak_rate"), "the rate with the highest validation accuracy"),
            (
                _D,
                ("spatial_pattern", "SpatialDropout2D", "whole_channel"),
                "share of channels SpatialDropout2D drops or keeps whole",
            ),
        ),
    },
    12: {
        "claims": ((_D, "mc_spread_larger_out_of_distribution"), (_D, "softmax_confidence_stays_high")),
        "values": (),
    },
    13: {
        "claims": (
            (_S, "cosine_lower_training_loss"),
            (_S, "large_constant_worse"),
            (_B, "high_rate_kills_plain_relus"),
            (_L, "l2_sparsity_comes_from_adam"),
        ),
        "values": (
            (
                _C,
                ("bn_scale_invariance", "gradient_ratio"),
                "gradient ratio after doubling the weights before BN",
            ),
        ),
    },
    14: {
        "claims": ((_L, "regularizers_narrow_the_gap"), (_L, "validation_not_lower")),
        "values": (
            (_O, ("diagnoses", "baseline"), "decision guide on the over-sized network"),
            (_O, ("diagnoses", "smallest_model"), "decision guide on the smallest network"),
            (_D, ("sweep", "train_accuracy"), "lesson 03 sweep: training accuracy at each rate"),
        ),
    },
    15: {
        "claims": ((_C, "combined_beats_baseline"), (_C, "early_stopping_alone_is_close")),
        "values": (
            (_C, ("final", "chosen"), "the model chosen on validation"),
            (_C, ("final", "val_accuracy"), "its validation accuracy"),
            (_C, ("final", "test_accuracy"), "its test accuracy, evaluated once"),
            (_E, ("selection", "excess_optimism"), "optimism of selecting on the split you report"),
        ),
    },
}


def _resolve(lesson: str) -> str:
    """The topic of ``lesson`` (a stem such as ``"03_dropout"``, a number ``"03"`` or a topic)."""
    if not isinstance(lesson, str) or not lesson.strip():
        raise ValueError(
            f"`lesson` must be a lesson's name such as '03_dropout' (or '03', or 'dropout'). Received: "
            f"{lesson!r}"
        )
    name = lesson.strip()
    if name.endswith(".ipynb"):
        name = name[: -len(".ipynb")]
    by_stem = {stem: topic for topic, stem in REVIEW_LESSONS.items()}
    if name in by_stem:
        return by_stem[name]
    topic = re.sub(r"^\d+_", "", name)
    if topic in REVIEW_LESSONS:
        return topic
    if name == "capstone":
        return "exercises"
    numbered = [t for t, stem in REVIEW_LESSONS.items() if stem.split("_", 1)[0] == name]
    if len(numbered) == 1:
        return numbered[0]
    known = ", ".join(REVIEW_LESSONS.values())
    if len(numbered) > 1:
        raise ValueError(
            f"Lesson number {name!r} is ambiguous: {', '.join(REVIEW_LESSONS[t] for t in numbered)}. "
            "Pass the notebook's full name."
        )
    raise ValueError(f"No review questions for lesson {lesson!r}. Known lessons: {known}.")


def _bank(lesson: str) -> tuple[str, tuple[MultipleChoice | Numeric, ...]]:
    topic = _resolve(lesson)
    return REVIEW_LESSONS[topic], _BANKS[topic]


def review_questions(lesson: str) -> ReviewSheet:
    """Shows a lesson's review questions ("Check your understanding").

    Args:
        lesson: The lesson's notebook name (``"03_dropout"``), its number (``"03"``) or its topic
            (``"dropout"``; ``"exercises"`` or ``"capstone"`` for the capstone's interview set).

    Returns:
        A :class:`ReviewSheet`: shown as text (``print``) or HTML (JupyterLab), with the
        ``review_answers = {...}`` dictionary to fill in (not ``answers``, which a graded
        exercise may use).

    Raises:
        ValueError: If no lesson has that name.

    Example:

    >>> import course_utils as cu
    >>> sheet = cu.review_questions("03_dropout")
    >>> sheet.template()
    'review_answers = {"q1": None, "q2": None, "q3": None, "q4": None, "q5": None}'
    """
    stem, questions = _bank(lesson)
    return ReviewSheet(stem, questions)


def check_review(lesson: str, answers: Mapping[str, Any] | None = None) -> ReviewResult:
    """Checks answers to a lesson's review questions.

    Unanswered questions (missing, ``None`` or ``...``) are reported as "not answered yet", never
    as an error, so the cell runs before the learner has answered.

    Args:
        lesson: As for :func:`review_questions`.
        answers: Question id -> answer: a choice's letter (``"b"``) or a number.

    Returns:
        A :class:`ReviewResult`: the score, then one line of feedback per question (for a wrong
        answer, the right one, the explanation and the section to re-read).

    Raises:
        ValueError: If the lesson is unknown, ``answers`` is not a dictionary, names a question the
            lesson does not have, or gives an answer of the wrong form (a letter that is not a
            choice, text where a number is expected).

    Example:

    >>> import course_utils as cu
    >>> result = cu.check_review("03_dropout", {"q1": 4.0, "q2": "a"})
    >>> result.verdict()
    '03_dropout: 1 of 5 right (3 not answered yet)'
    """
    stem, questions = _bank(lesson)
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping):
        raise ValueError(
            "`answers` must be a dictionary of question id -> answer, e.g. "
            f'{{"q1": "b"}}. Received a {type(answers).__name__}: {answers!r}'
        )
    ids = [q.id for q in questions]
    unknown = [k for k in answers if k not in ids]
    if unknown:
        raise ValueError(
            f"{stem} has no question {', '.join(repr(k) for k in unknown)}; its questions are "
            f"{', '.join(ids)}. Check the spelling of the keys."
        )
    return ReviewResult(stem, tuple(q.check(answers.get(q.id)) for q in questions))


def interview_coverage() -> dict[int, list[str]]:
    """Which review questions train each interview question.

    Returns:
        Interview question number -> ``["03_dropout q1", ...]`` (every number of
        :data:`INTERVIEW_QUESTIONS` is a key; an empty list would mean it is not covered).

    Example:

    >>> import course_utils as cu
    >>> sorted(cu.interview_coverage()) == list(range(1, 16))
    True
    """
    out: dict[int, list[str]] = {n: [] for n in INTERVIEW_QUESTIONS}
    for topic, questions in _BANKS.items():
        for q in questions:
            for n in q.interview:
                out.setdefault(n, []).append(f"{REVIEW_LESSONS[topic]} {q.id}")
    return out


# ---- the recorded numbers, for the appendix -------------------------------------------------------


def _default_results_dir() -> Path:
    env = os.environ.get("COURSE_RESULTS_DIR")
    return Path(env) if env else Path("..") / "build" / "executed"


def _shown(folder: Path) -> str:
    """``folder`` as the runner's ``--out`` takes it: relative to the course's root when inside it."""
    resolved = folder.resolve()
    for root in resolved.parents:
        if (root / "tools" / "run_lessons.py").exists():
            return str(resolved.relative_to(root))
    return str(folder)


def _cited_stems() -> list[str]:
    topics = {c[0] for e in INTERVIEW_EVIDENCE.values() for kind in ("claims", "values") for c in e[kind]}
    return [stem for topic, stem in REVIEW_LESSONS.items() if topic in topics]


def load_course_results(
    results_dir: str | os.PathLike[str] | None = None, lessons: Sequence[str] | None = None
) -> dict[str, dict[str, Any] | None]:
    """Reads the recorded results of the executed lessons (``<lesson>.results.json``).

    Prints one line per lesson: found (with its number of claims), or the command that runs it.

    Args:
        results_dir: The folder the course runner wrote them to. Default: ``$COURSE_RESULTS_DIR``
            when set (the runner sets it), else ``../build/executed`` (where ``make run`` writes,
            seen from ``notebooks/``).
        lessons: The topics or stems to read (default: every lesson that :data:`INTERVIEW_EVIDENCE`
            cites).

    Returns:
        Stem -> the results payload (``claims``, ``values``, ``parameters``), or ``None`` for a
        lesson that has not been run there.

    Raises:
        ValueError: If a lesson name is unknown.

    Example:

    >>> import course_utils as cu
    >>> results = cu.load_course_results("/nonexistent", lessons=["03"])  # doctest: +ELLIPSIS
    03_dropout: not run yet in /nonexistent: run `python tools/run_lessons.py --only 03 --out /nonexistent`
    >>> results
    {'03_dropout': None}
    """
    folder = Path(results_dir) if results_dir is not None else _default_results_dir()
    stems = [REVIEW_LESSONS[_resolve(x)] for x in lessons] if lessons else _cited_stems()
    out: dict[str, dict[str, Any] | None] = {}
    for stem in stems:
        path = folder / f"{stem}.results.json"
        if path.exists():
            payload = json.loads(path.read_text())
            out[stem] = payload
            print(f"{stem}: {len(payload.get('claims', []))} claims recorded in {_shown(folder)}")
        else:
            out[stem] = None
            print(
                f"{stem}: not run yet in {_shown(folder)}: run `python tools/run_lessons.py --only "
                f"{stem.split('_', 1)[0]} --out {_shown(folder)}`"
            )
    return out


def _lookup(values: Mapping[str, Any], path: Sequence[str]) -> tuple[bool, Any]:
    node: Any = values
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _show_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show_value(v) for v in value) + "]"
    return str(value)


def show_interview_evidence(
    question: int,
    results: Mapping[str, dict[str, Any] | None],
    claims: Sequence[tuple[str, str]] | None = None,
    values: Sequence[tuple[str, Sequence[str], str]] | None = None,
) -> list[dict[str, Any]]:
    """Prints the recorded claims and numbers that back an interview question's model answer.

    For each cited claim: its verdict on the recorded run, its statement and its evidence; for
    each cited value: what it is and the number recorded; or why it cannot be shown (the lesson
    has not been run there, or its run recorded no such claim or value).

    Args:
        question: The interview question's number (a key of :data:`INTERVIEW_QUESTIONS`).
        results: What :func:`load_course_results` returned.
        claims: The cited claims, ``((topic or stem, claim id), ...)``; default: the question's
            entry in :data:`INTERVIEW_EVIDENCE`.
        values: The cited values, ``((topic or stem, key path, label), ...)``; default: likewise.

    Returns:
        One ``{"question", "lesson", "kind", "id", "found", "holds"}`` per citation (``kind`` is
        ``"claim"`` or ``"value"``; ``holds`` is the claim's verdict, or ``None`` for a value).

    Raises:
        ValueError: If the question number or a lesson name is unknown.

    Example:

    >>> import course_utils as cu
    >>> results = {"03_dropout": {"claims": [{"id": "x", "statement": "S.", "holds": True, "evidence": "E"}]}}
    >>> rows = cu.show_interview_evidence(1, results, claims=[("dropout", "x")], values=[])
    Q1, claim x (03_dropout): holds
        S.
        evidence: E
    """
    if question not in INTERVIEW_QUESTIONS:
        raise ValueError(
            f"`question` must be one of 1..{len(INTERVIEW_QUESTIONS)} (see INTERVIEW_QUESTIONS). "
            f"Received: {question!r}"
        )
    cited = INTERVIEW_EVIDENCE.get(question, {})
    claims = cited.get("claims", ()) if claims is None else claims
    values = cited.get("values", ()) if values is None else values
    rows: list[dict[str, Any]] = []
    for lesson, claim_id in claims:
        stem = REVIEW_LESSONS[_resolve(lesson)]
        payload = results.get(stem)
        row: dict[str, Any] = {"question": question, "lesson": stem, "kind": "claim", "id": claim_id,
                               "found": False, "holds": False}  # fmt: skip
        head = f"Q{question}, claim {claim_id} ({stem})"
        if payload is None:
            print(f"{head}: {stem} has not been run yet (the command is above)")
        else:
            found = [c for c in payload.get("claims", []) if c.get("id") == claim_id]
            if not found:
                print(f"{head}: the recorded run of {stem} states no such claim")
            else:
                claim = found[0]
                row.update(found=True, holds=bool(claim["holds"]))
                verdict = "holds" if claim["holds"] else "does NOT hold on this run"
                print(f"{head}: {verdict}")
                print(wrap_line(claim["statement"], indent="    ", hanging="    "))
                print(wrap_line(f"evidence: {claim['evidence']}", indent="    ", hanging="        "))
        rows.append(row)
    for lesson, path, label in values:
        stem = REVIEW_LESSONS[_resolve(lesson)]
        payload = results.get(stem)
        key = ".".join(path)
        row = {"question": question, "lesson": stem, "kind": "value", "id": key, "path": list(path),
               "found": False, "holds": None}  # fmt: skip
        head = f"Q{question}, {stem} {key}"
        if payload is None:
            print(f"{head}: {stem} has not been run yet (the command is above)")
        else:
            ok, value = _lookup(payload.get("values", {}), path)
            if not ok:
                print(f"{head}: the recorded run of {stem} has no such value")
            else:
                row.update(found=True, value=value)
                print(f"{head}:")
                print(wrap_line(f"{label}: {_show_value(value)}", indent="    ", hanging="        "))
        rows.append(row)
    return rows
