# One terms model (A3): an insurer's own terms become rows of TermsDocument with the insurer as
# a plain id (`insurer_ref`) and, for thematic ones, the area of services.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("legal", "0004_termsacceptance_provider_ref_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="termsdocument",
            name="insurer_ref",
            field=models.PositiveIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="termsdocument",
            name="area",
            field=models.CharField(blank=True, max_length=20, verbose_name="obszar usług"),
        ),
        migrations.AlterField(
            model_name="termsdocument",
            name="kind",
            field=models.CharField(
                choices=[
                    ("platform", "Regulamin serwisu Terminarz"),
                    ("insurance", "Regulamin usługi Ubezpieczenia"),
                    ("provider", "Regulamin Świadczeniodawcy"),
                    ("televisit", "Regulamin usługi Telewizyta"),
                    ("branded_app", "Regulamin aplikacji mobilnej placówki"),
                    ("insurer_general", "regulamin ogólny"),
                    ("insurer_thematic", "regulamin tematyczny"),
                ],
                max_length=20,
            ),
        ),
        migrations.RemoveConstraint(model_name="termsdocument", name="terms_kind_version"),
        migrations.AddConstraint(
            model_name="termsdocument",
            constraint=models.UniqueConstraint(
                condition=models.Q(("insurer_ref__isnull", True)),
                fields=("kind", "version"),
                name="terms_kind_version",
            ),
        ),
        migrations.AddConstraint(
            model_name="termsdocument",
            constraint=models.UniqueConstraint(
                condition=models.Q(("insurer_ref__isnull", False)),
                fields=("insurer_ref", "kind", "title", "version"),
                name="terms_insurer_version",
            ),
        ),
        migrations.AddConstraint(
            model_name="termsdocument",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("insurer_ref__isnull", False), ("kind__in", ("insurer_general", "insurer_thematic"))),
                    models.Q(
                        models.Q(("kind__in", ("insurer_general", "insurer_thematic")), _negated=True),
                        ("insurer_ref__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="terms_insurer_kinds_have_insurer",
            ),
        ),
    ]
