"""Issue 24 (point 1): a form's question labels wrap instead of being cut off at the dialog's edge, at
80x24 and 120x40, so the example and the default at the end of a long prompt stay visible."""
from __future__ import annotations

import copy

import pytest
from textual.widgets import Label

from screens.dialogs.answers import AnswersDialog
from screens.widgets.answer_form import AnswerForm, field_id
from wizard.checklist import Question

from .conftest import settle, wait_for_screen

LONG = Question("chart-url.monitoring/grafana", "The https URL of the chart repository of the Helm release "
                "monitoring/grafana, from which Flux will fetch its chart (e.g. https://grafana.github.io/helm-charts)")
CHOICE = Question("adopt.ConfigMap/monitoring/grafana-dashboards-extra", "What to do with ConfigMap "
                  "monitoring/grafana-dashboards-extra, which exists only in the cluster and in no file of the repo "
                  "(default: adopt it into the repo)", [("adopt", "adopt"), ("leave", "leave it to the cluster")])


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_long_question_labels_wrap_inside_the_dialog(app, size):
    item = copy.copy(app.engine.item("repo.adopt"))
    item.questions = (LONG, CHOICE)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.push_screen(AnswersDialog(item, {}))
        dialog = await wait_for_screen(pilot, AnswersDialog, "#answer-form Input")
        await settle(pilot)
        form = dialog.query_one(AnswerForm)
        for q in (LONG, CHOICE):
            label = dialog.query_one(f"#{field_id(q)}-row").query_one(".answer-prompt", Label)
            assert label.region.right <= form.region.right, (q.key, label.region, form.region)
            lines = label.render_lines(label.region.reset_offset)  # what the label shows, line by line
            shown = " ".join("".join(seg.text for seg in line).strip() for line in lines)
            assert " ".join(shown.split()) == q.prompt, shown
