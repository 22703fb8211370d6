# One terms model (A3), step 1: the insurers' terms are copied into legal.TermsDocument (kinds
# "insurer_general" / "insurer_thematic", the insurer as `insurer_ref`) with their dates and
# publisher, and the cooperations, thematic services and acceptances get a reference to the
# copies. Step 2 (0008, its own transaction: PostgreSQL alters no table with pending
# constraint checks) drops the old model and makes `InsurerTerms` a proxy of TermsDocument.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models.functions import Substr

KINDS = {"general": "insurer_general", "thematic": "insurer_thematic"}


def copy_terms(apps, schema_editor):
    Old = apps.get_model("insurers", "InsurerTerms")
    Document = apps.get_model("legal", "TermsDocument")
    moved = {}
    for old in Old._default_manager.order_by("pk"):
        document = Document._default_manager.create(
            kind=KINDS[old.kind],
            insurer_ref=old.insurer_id,
            area=old.area,
            title=old.title,
            version=old.version,
            body=old.body,
            effective_from=old.effective_from,
            published_by_id=old.published_by_id,
        )
        # created_at is set on create: keep when the insurer published it.
        Document._default_manager.filter(pk=document.pk).update(created_at=old.published_at or old.effective_from)
        moved[old.pk] = document.pk
    # Audit entries name their target by model and id: the copies keep the model name.
    audit = apps.get_model("core", "AuditEntry")._default_manager
    for old_id, new_id in moved.items():
        audit.filter(object_type="insurerterms", object_id=str(old_id)).update(object_id=f"new:{new_id}")
    audit.filter(object_type="insurerterms", object_id__startswith="new:").update(
        object_id=Substr("object_id", 5)
    )
    for model_name in ("Cooperation", "ThematicService", "ThematicAcceptance"):
        model = apps.get_model("insurers", model_name)
        for row in model._default_manager.filter(terms__isnull=False).only("pk", "terms_id"):
            model._default_manager.filter(pk=row.pk).update(terms_doc_id=moved[row.terms_id])


class Migration(migrations.Migration):
    dependencies = [
        ("insurers", "0006_ols"),
        ("legal", "0005_insurer_terms"),
        ("core", "0004_tenant_managers"),
    ]

    operations = [
        migrations.AddField(
            model_name="cooperation",
            name="terms_doc",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="legal.termsdocument"
            ),
        ),
        migrations.AddField(
            model_name="thematicservice",
            name="terms_doc",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="legal.termsdocument"
            ),
        ),
        migrations.AddField(
            model_name="thematicacceptance",
            name="terms_doc",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="legal.termsdocument"
            ),
        ),
        # Backwards only on an empty table (tests): the copies are not moved back.
        migrations.RunPython(copy_terms, migrations.RunPython.noop),
    ]
