"""Forms of the bidding phase: they parse input; the services decide what is allowed."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.files.base import File
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from beneficiaries.models import User
from bidding.models import TIMELINE_FIELDS, TIMELINE_LABELS, Criterion, Tender, TenderDocument
from repm_portal.roles import Role

DATETIME = {"type": "datetime-local"}
DATE = {"type": "date"}
COMMITTEE_ROLES = (Role.OFFICIAL, Role.EVALUATOR, Role.APPROVER, Role.ADMIN)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _moment(name: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_(TIMELINE_LABELS[name]),
        widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"),
        help_text=_("Indian Standard Time"),
    )


class TimelineFields(forms.Form):
    queries_due = _moment("queries_due")
    prebid_meeting_at = _moment("prebid_meeting_at")
    replies_due = _moment("replies_due")
    bids_due = _moment("bids_due")
    technical_opening_at = _moment("technical_opening_at")
    financial_opening_at = _moment("financial_opening_at")

    def timeline(self) -> dict[str, dt.datetime]:
        return {name: self.cleaned_data[name] for name in TIMELINE_FIELDS}


class CommitteeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.label


class TenderForm(TimelineFields):
    reference = forms.CharField(
        label=_("Reference"), max_length=60, help_text=_("e.g. MHI/REPM/GTE/2026/01")
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(value, _(label)) for value, label in Tender.Kind.choices]
    )
    parent = forms.ModelChoiceField(
        queryset=Tender.objects.filter(status=Tender.Status.AWARDED),
        required=False,
        label=_("Re-tender of"),
        help_text=_("For a re-tender: the awarded tender whose forfeited capacity is offered."),
    )
    capacity_mtpa = forms.IntegerField(
        label=_("Capacity on offer (MTPA)"), min_value=1, max_value=2**31 - 1
    )
    slots = forms.IntegerField(
        label=_("Beneficiary slots on offer"), min_value=1, max_value=2**31 - 1
    )
    oxide_mtpa = forms.DecimalField(
        label=_("IREL NdPr oxide on offer (MTPA)"),
        max_digits=10,
        decimal_places=3,
        required=False,
        help_text=_(
            "Leave empty: the rule set's quantity for a main tender, none for a re-tender."
        ),
    )
    prebid_meeting_place = forms.CharField(
        max_length=300, required=False, label=_("Pre-bid meeting place")
    )
    committee = CommitteeField(
        queryset=User.objects.filter(role__in=COMMITTEE_ROLES, is_active=True).order_by("username"),
        widget=forms.CheckboxSelectMultiple,
        label=_("Bid-opening committee"),
        help_text=_("At least two members; two of them must confirm each opening."),
    )
    rfp_title = forms.CharField(
        max_length=300, label=_("RFP document title"), initial="Request for proposal"
    )
    rfp_file = forms.FileField(label=_("RFP document (PDF)"))

    field_order = [
        "reference", "title", "description", "kind", "parent", "capacity_mtpa", "slots",
        "oxide_mtpa", *TIMELINE_FIELDS, "prebid_meeting_place", "committee", "rfp_title", "rfp_file",
    ]  # fmt: skip

    def documents(self) -> list[tuple[str, File]]:
        return [(self.cleaned_data["rfp_title"], self.cleaned_data["rfp_file"])]


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    file = forms.FileField(label=_("Document (PDF)"))


class CorrigendumForm(TimelineFields):
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("What changes and why")
    )
    prebid_meeting_place = forms.CharField(
        max_length=300, required=False, label=_("Pre-bid meeting place")
    )
    document_title = forms.CharField(
        max_length=300, required=False, label=_("New or revised document: title")
    )
    document_file = forms.FileField(required=False, label=_("New or revised document (PDF)"))
    field_order = ["summary", *TIMELINE_FIELDS, "prebid_meeting_place"]
    supersedes = forms.ModelChoiceField(
        queryset=TenderDocument.objects.none(),
        required=False,
        label=_("It revises"),
        help_text=_("Leave empty for a new document."),
    )

    def __init__(self, *args, tender: Tender, **kwargs):
        super().__init__(*args, **kwargs)
        for name in TIMELINE_FIELDS:
            self.initial.setdefault(name, timezone.localtime(getattr(tender, name)))
        self.initial.setdefault("prebid_meeting_place", tender.prebid_meeting_place)
        self.fields["supersedes"].queryset = tender.documents.filter(superseded_by__isnull=True)

    def documents(self) -> list[tuple[str, File, TenderDocument | None]]:
        """The new or revised document, if one is attached: (title, file, the one it revises)."""
        data = self.cleaned_data
        if not data.get("document_file"):
            return []
        return [(data.get("document_title", ""), data["document_file"], data.get("supersedes"))]


class QueryForm(forms.Form):
    question = forms.CharField(
        label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000
    )


class BidForm(forms.Form):
    """The two covers. The rate is never rendered back into the page, even after an error."""

    consortium = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Bidding as"),
    )
    capacity_mtpa = forms.IntegerField(
        label=_("Bid capacity (MTPA)"), min_value=1, max_value=2**31 - 1
    )
    accepts_partial = forms.BooleanField(
        required=False, label=_("I accept a partial award if less capacity is left at my turn")
    )
    net_worth_crore = forms.DecimalField(
        # In rupees the column holds 16 digits before the paise: at most 9 before them in crore.
        label=_("Audited net worth (Rs crore)"),
        max_digits=11,
        decimal_places=2,
        min_value=0,
    )
    net_worth_as_of = forms.DateField(
        label=_("Net worth audited as of"), widget=forms.DateInput(attrs=DATE)
    )
    dpr = forms.FileField(label=_("Detailed project report (PDF)"), required=False)
    eligibility_documents = MultipleFileField(
        label=_("Eligibility documents (PDF, PNG or JPEG)"), required=False
    )
    quoted_rate = forms.CharField(
        label=_("Quoted SLI rate (Rs/kg)"),
        max_length=20,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "inputmode": "decimal"}
        ),
        help_text=_(
            "Sealed on submission: nobody, officials included, can read it before the financial opening."
        ),
    )

    def __init__(self, *args, rules, consortia, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consortium"].choices = [("", gettext("My firm alone"))] + [
            (c.pk, gettext("%(name)s (as lead)") % {"name": c.name}) for c in consortia
        ]
        capacity = self.fields["capacity_mtpa"]
        capacity.widget.attrs.update(
            {
                "min": rules.min_capacity_mtpa,
                "max": rules.max_capacity_mtpa,
                "step": rules.capacity_step_mtpa,
            }
        )
        capacity.help_text = gettext(
            "%(low)s to %(high)s MTPA in steps of %(step)s (rule set v%(version)s)."
        ) % {
            "low": f"{rules.min_capacity_mtpa:,}",
            "high": f"{rules.max_capacity_mtpa:,}",
            "step": rules.capacity_step_mtpa,
            "version": rules.version,
        }
        rate = self.fields["quoted_rate"]
        rate.help_text = f"{rate.help_text} " + gettext("At most Rs %(ceiling)s/kg.") % {
            "ceiling": f"{rules.sli_ceiling_rate:,}"
        }


class EvaluationForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for criterion in Criterion:
            self.fields[f"{criterion.value}_result"] = forms.ChoiceField(
                label=_(criterion.label),
                choices=[("pass", _("Pass")), ("fail", _("Fail"))],
                widget=forms.RadioSelect,
            )
            self.fields[f"{criterion.value}_reason"] = forms.CharField(
                label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
            )

    def pairs(self):
        return [(self[f"{c.value}_result"], self[f"{c.value}_reason"]) for c in Criterion]

    def results(self) -> dict[str, tuple[bool, str]]:
        data = self.cleaned_data
        return {
            c.value: (data[f"{c.value}_result"] == "pass", data.get(f"{c.value}_reason", ""))
            for c in Criterion
        }


class ReturnForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label=_("What must be looked at again")
    )


class PbgForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (Rs)"), max_digits=18, decimal_places=2)
    bank_name = forms.CharField(max_length=200, label=_("Issuing bank"))
    guarantee_number = forms.CharField(label=_("Guarantee number"), max_length=60)
    issued_on = forms.DateField(label=_("Issued on"), widget=forms.DateInput(attrs=DATE))
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(attrs=DATE))


class PbgExtendForm(forms.Form):
    valid_until = forms.DateField(label=_("New expiry date"), widget=forms.DateInput(attrs=DATE))
    amendment_reference = forms.CharField(max_length=100, label=_("Bank's amendment reference"))


class PbgReleaseForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label=_("Why the guarantee is released")
    )


class PbgInvokeForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount invoked (Rs)"), max_digits=18, decimal_places=2)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("Why the guarantee is invoked")
    )


class OpeningKeyForm(forms.Form):
    """A member's opening-key passphrase; never rendered back into the page."""

    current_passphrase = forms.CharField(
        required=False,
        strip=False,
        label=_("Current passphrase (to change it; leave empty if you lost it)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    passphrase = forms.CharField(
        strip=False,
        label=_("New passphrase (at least 12 characters)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    passphrase_again = forms.CharField(
        strip=False,
        label=_("The new passphrase again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class CommitteeForm(forms.Form):
    """A new bid-opening committee, with the reason for the change."""

    committee = CommitteeField(
        queryset=User.objects.filter(role__in=COMMITTEE_ROLES, is_active=True).order_by("username"),
        widget=forms.CheckboxSelectMultiple,
        label=_("Bid-opening committee"),
        help_text=_("Every member must have set up their opening key."),
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=1000, label=_("Reason")
    )
