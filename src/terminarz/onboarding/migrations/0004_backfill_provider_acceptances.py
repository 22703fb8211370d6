"""A3: acceptances recorded before the provider's id was kept with them get it now – the
provider terms accepted in approved applications and the insurance-service terms each
insurance service holds – so no provider is asked again for a version it already accepted."""

from django.db import migrations


def backfill(apps, schema_editor):
    TermsAcceptance = apps.get_model("legal", "TermsAcceptance")
    ProviderApplication = apps.get_model("onboarding", "ProviderApplication")
    InsuranceService = apps.get_model("insurers", "InsuranceService")
    for application in ProviderApplication.objects.filter(
        status="approved", provider__isnull=False, terms__isnull=False
    ):
        TermsAcceptance.objects.get_or_create(
            document_id=application.terms_id,
            provider_ref=application.provider_id,
            defaults={"channel": "onboarding", "accepted_at": application.terms_accepted_at or application.decided_at},
        )
    for service in InsuranceService._default_manager.filter(terms__isnull=False, terms_accepted_at__isnull=False):
        TermsAcceptance.objects.get_or_create(
            document_id=service.terms_id,
            provider_ref=service.provider_id,
            defaults={
                "user_id": service.terms_accepted_by_id,
                "channel": "back-office",
                "accepted_at": service.terms_accepted_at,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0003_alter_providerapplication_options_and_more"),
        ("legal", "0004_termsacceptance_provider_ref_and_more"),
        ("insurers", "0006_ols"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
