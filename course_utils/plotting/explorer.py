"""A slider that redraws a figure from results a lesson already computed (no training on a drag)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["plot_explorer"]

#: What a reader without a running kernel (an executed notebook, its HTML copy) sees instead of
#: the slider.
STATIC_TEXT = (
    "[a slider over {description} ({count} values, now {first}): in JupyterLab, drag it to redraw the figure]"
)


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def plot_explorer(
    draw: Callable[[Any, Any], Any],
    values: Sequence[Any],
    *,
    description: str,
    value: Any = None,
    figsize: tuple[float, float] = (7.5, 3.6),
) -> Any:
    """Shows a slider over ``values`` and, under it, the figure ``draw(value, ax)`` draws; moving
    the slider redraws the figure in place for the new value.

    ``draw`` should only read results the lesson has already computed (a dict of histories, a
    table): the slider is for looking at many values quickly, not for training on every drag.
    The figure is an ordinary output of the cell (so it shows in an executed notebook and its
    HTML copy too); the slider needs a running kernel and, without one, is shown as a line of
    text that says so. Each redraw replaces the figure through its display id.

    Args:
        draw: ``draw(value, ax)`` draws the figure for one value on a matplotlib ``Axes``.
        values: The values the slider offers, in order (at least one).
        description: The slider's label, e.g. ``"rate"``.
        value: The value shown first (default: the first of ``values``).
        figsize: The figure's size in inches.

    Returns:
        The ``ipywidgets.SelectionSlider`` (end the cell with ``;``, or it is shown twice).

    Raises:
        ValueError: If ``values`` is empty, ``value`` is not one of them, or ``description`` is
            empty.

    Example:

    >>> from course_utils import plot_explorer
    >>> curves = {0.0: [0.5, 0.9], 0.5: [0.4, 0.8]}
    >>> slider = plot_explorer(lambda rate, ax: ax.plot(curves[rate]), list(curves),
    ...                        description="rate")  # doctest: +SKIP
    """
    import ipywidgets as widgets  # type: ignore[import-untyped]
    import matplotlib.pyplot as plt
    from IPython.display import display

    options = list(values)
    if not options:
        raise ValueError("`values` must offer at least one value, e.g. the rates of a sweep.")
    if not isinstance(description, str) or not description.strip():
        raise ValueError(
            f"`description` must name what the slider sets, e.g. 'rate'. Received: {description!r}"
        )
    first = options[0] if value is None else value
    if first not in options:
        raise ValueError(
            f"`value` must be one of `values` ({', '.join(map(_label, options))}). Received: {value!r}"
        )

    class Slider(widgets.SelectionSlider):
        def _repr_mimebundle_(self, **kwargs: Any) -> Any:
            bundle = super()._repr_mimebundle_(**kwargs)
            if isinstance(bundle, dict):
                bundle["text/plain"] = STATIC_TEXT.format(
                    description=description, count=len(options), first=_label(self.value)
                )
            return bundle

    slider = Slider(
        options=[(_label(v), v) for v in options],
        value=first,
        description=description,
        continuous_update=False,
        layout=widgets.Layout(width="min(100%, 32rem)"),
        style={"description_width": "initial"},
    )

    def figure(v: Any) -> Any:
        fig, ax = plt.subplots(figsize=figsize)
        draw(v, ax)
        fig.tight_layout()
        return fig

    display(slider)
    fig = figure(first)
    handle = display(fig, display_id=True)
    plt.close(fig)

    def redraw(change: dict[str, Any]) -> None:
        # An error in a widget callback would only reach JupyterLab's log console: show it in
        # the figure's place instead, so the learner sees why nothing was drawn.
        try:
            new = figure(change["new"])
        except Exception as error:  # noqa: BLE001  (any error of the learner's `draw`)
            plt.close("all")
            if handle is not None:
                handle.update(f"draw({change['new']!r}, ax) failed: {type(error).__name__}: {error}")
            return
        if handle is not None:
            handle.update(new)
        plt.close(new)

    slider.observe(redraw, names="value")
    return slider
