"""pytest plugin for the nbval stage (`-p nbval_stdout_only`): compare what a cell *prints*.

Cells tagged `nbval-check-output` print deterministic text. Their stderr is not part of the
lesson: it carries TensorFlow's C++ log lines, whose presence and order depend on when the
runtime happens to initialize, so nbval is told to skip the stderr stream when comparing.
"""

from __future__ import annotations

from nbval.plugin import IPyNbFile

_original_init = IPyNbFile.__init__


def _init_skipping_stderr(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.skip_compare = tuple(self.skip_compare) + ("stderr",)


IPyNbFile.__init__ = _init_skipping_stderr
