# One terms model (A3), step 2: the old table goes and `InsurerTerms` becomes a proxy of
# legal.TermsDocument; the references copied in 0007 take the name `terms`.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insurers", "0007_terms_in_legal"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="thematicacceptance", name="thematic_acceptance_once"),
        migrations.RemoveConstraint(model_name="thematicservice", name="thematic_service_code_once"),
        migrations.RemoveField(model_name="cooperation", name="terms"),
        migrations.RemoveField(model_name="thematicservice", name="terms"),
        migrations.RemoveField(model_name="thematicacceptance", name="terms"),
        migrations.DeleteModel(name="InsurerTerms"),
        migrations.CreateModel(
            name="InsurerTerms",
            fields=[],
            options={
                "verbose_name": "regulamin ubezpieczyciela",
                "verbose_name_plural": "regulaminy ubezpieczycieli",
                "ordering": ["insurer_ref", "kind", "-effective_from"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("legal.termsdocument",),
        ),
        migrations.RenameField(model_name="cooperation", old_name="terms_doc", new_name="terms"),
        migrations.RenameField(model_name="thematicservice", old_name="terms_doc", new_name="terms"),
        migrations.RenameField(model_name="thematicacceptance", old_name="terms_doc", new_name="terms"),
        migrations.AlterField(
            model_name="cooperation",
            name="terms",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="insurers.insurerterms",
            ),
        ),
        migrations.AlterField(
            model_name="thematicservice",
            name="terms",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="services", to="insurers.insurerterms"
            ),
        ),
        migrations.AlterField(
            model_name="thematicacceptance",
            name="terms",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="thematic_acceptances",
                to="insurers.insurerterms",
            ),
        ),
        migrations.AddConstraint(
            model_name="thematicacceptance",
            constraint=models.UniqueConstraint(fields=("provider", "terms"), name="thematic_acceptance_once"),
        ),
        migrations.AddConstraint(
            model_name="thematicservice",
            constraint=models.UniqueConstraint(fields=("terms", "code"), name="thematic_service_code_once"),
        ),
    ]
