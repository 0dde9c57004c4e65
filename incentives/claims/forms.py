"""Forms of the sales-claim pages: the firm's submission, and the officials' decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incentives.claims.models import KG, MONEY, FeedstockDeclaration, LineAdjustment


def _translated(choices: Any) -> list[tuple[str, Any]]:
    """Model choices with their labels in the page's language (the catalogue has them)."""
    return [(value, _(label)) for value, label in choices]


class SubmitForm(forms.Form):
    certificate = forms.FileField(
        label=_("Chartered accountant's certificate (PDF)"),
        help_text=_("The CA's certificate of these sales; at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )
    declaration = forms.BooleanField(
        label=_(
            "I declare that these lines are true and complete, each a sale of sintered NdFeB "
            "magnets made in the award's registered plant, and that no invoice is claimed twice."
        ),
        error_messages={"required": _("Tick the declaration: the lines are true and complete.")},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )


class VerifyForm(forms.Form):
    remarks = forms.CharField(
        label=_("Remarks"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
        max_length=4000,
    )  # fmt: skip
    feedstock_note = forms.CharField(
        label=_("Feedstock mismatch accepted because"),
        help_text=_("Only if the feedstock check is flagged: why you accept it (else return the claim)."),
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000,
    )  # fmt: skip


class FeedstockRowForm(forms.Form):
    """One row of the feedstock declaration; the service checks the rows (the API's are checked alike)."""

    source = forms.ChoiceField(
        choices=[("", "—"), *_translated(FeedstockDeclaration.Source.choices)],
        required=False,
        label=_("Source"),
    )
    country = forms.CharField(
        max_length=2, required=False, label=_("Country (imports, ISO 3166 alpha-2)"),
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "off"}),
    )  # fmt: skip
    tonnes = forms.CharField(
        max_length=20, required=False, label=_("NdPr oxide (t)"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
    )  # fmt: skip

    @property
    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(str(data.get(name) or "").strip() for name in ("country", "tonnes"))


FeedstockFormSet = forms.formset_factory(FeedstockRowForm, extra=0, max_num=50, absolute_max=50)


def feedstock_formset(rows: list[dict[str, Any]] | None = None, data: Any = None) -> Any:
    """The declaration's rows (or one per source, to fill in), and two spare rows for more imports."""
    if data is not None:
        return FeedstockFormSet(data, prefix="feedstock")
    initial = [
        {"source": r["source"], "country": r["country"], "tonnes": r["tonnes"]}
        for r in rows or []
    ] or [
        {"source": "irel"}, {"source": "domestic"}, {"source": "imported"}, {"source": "recycled"}
    ]  # fmt: skip
    return FeedstockFormSet(initial=[*initial, {}, {}], prefix="feedstock")


class AdjustForm(forms.Form):
    # Its own ids: the return and reject forms on the same page have a "reason" field too.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "adjust_%s")
        super().__init__(*args, **kwargs)

    row = forms.IntegerField(min_value=1, max_value=2**31 - 1, label=_("Row in the file"))
    kind = forms.ChoiceField(
        choices=_translated(LineAdjustment.Kind.choices), label=_("Adjustment")
    )
    quantity_kg = forms.DecimalField(
        required=False, label=_("Corrected kg"), max_digits=KG["max_digits"],
        decimal_places=KG["decimal_places"],
    )  # fmt: skip
    net_sales_value = forms.DecimalField(
        required=False, label=_("Corrected net value (Rs)"), max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
    )  # fmt: skip
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
