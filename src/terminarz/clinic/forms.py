from django import forms
from django.utils.translation import gettext_lazy as _

from terminarz.accounts.models import User
from terminarz.core import audit_labels
from terminarz.core.models import AuditEntry


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("Od dnia"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Do dnia"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    action = forms.CharField(label=_("Czynność zawiera"), required=False, max_length=50)
    actor = forms.ModelChoiceField(label=_("Użytkownik"), required=False, queryset=User.objects.none())
    text = forms.CharField(label=_("Opis zawiera"), required=False, max_length=100)
    object_type = forms.ChoiceField(label=_("Obiekt"), required=False)
    object_id = forms.CharField(label=_("Nr obiektu"), required=False, max_length=50)

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = (
            AuditEntry.objects.filter(provider=provider)
            .exclude(object_type="")
            .order_by()
            .values_list("object_type", flat=True)
            .distinct()
        )
        choices: list[tuple[str, str]] = sorted(
            ((str(kind), audit_labels.object_label(str(kind))) for kind in kinds), key=lambda c: c[1]
        )
        object_type = self.fields["object_type"]
        assert isinstance(object_type, forms.ChoiceField)
        object_type.choices = [("", str(_("wszystkie"))), *choices]
        actor = self.fields["actor"]
        assert isinstance(actor, forms.ModelChoiceField)
        actor.queryset = User.objects.filter(memberships__provider=provider).order_by("username")
        actor.empty_label = str(_("wszyscy"))

    def apply(self, entries):
        c = self.cleaned_data
        if c.get("date_from"):
            entries = entries.filter(at__date__gte=c["date_from"])
        if c.get("date_to"):
            entries = entries.filter(at__date__lte=c["date_to"])
        if c.get("action"):
            entries = entries.filter(action__icontains=c["action"])
        if c.get("actor"):
            entries = entries.filter(actor=c["actor"])
        if c.get("object_type"):
            entries = entries.filter(object_type=c["object_type"])
        if c.get("object_id"):
            entries = entries.filter(object_id=c["object_id"])
        if c.get("text"):
            entries = entries.filter(summary__icontains=c["text"])
        return entries
