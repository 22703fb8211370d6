"""G5, commercial contracts: a contract with a payer, priced products within its period, no two
prices of one service for one day ("overlapping price validity" refused, nothing half-saved),
"Dodaj cały zakres", and every status transition allowed and refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from terminarz.catalog import contracts
from terminarz.catalog.models import Contract, ContractProduct
from terminarz.core.statemachine import TransitionRefused
from tests.clinic.test_access import make_user
from tests.factories import make_provider
from tests.insurers.helpers import cooperate, make_insurer, payer_of, price_list_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, frozen):
    provider = make_provider()
    admin = make_user("ada", provider, "admin")
    tu = make_insurer()
    cooperate(provider, tu, admin)
    svc = price_list_services(provider)
    client.force_login(admin)
    return {"provider": provider, "admin": admin, "payer": payer_of(provider, tu), "svc": svc}


def new_contract(client, office):
    response = client.post(
        reverse("clinic:contracts"),
        follow=True,
        data={
            "name": "TU Zdrowie 2027",
            "signed_on": "2026-11-15",
            "valid_from": "2027-01-01",
            "valid_to": "2027-12-31",
            "payment_type": "transfer",
            "payer": office["payer"].pk,
        },
    )
    contract = Contract.objects.get()
    assert response.redirect_chain == [(reverse("clinic:contract", args=[contract.pk]), 302)]
    assert [str(m) for m in response.context["messages"]] == ["Zapisano umowę – dodaj do niej produkty."]
    return contract


def test_a_contract_with_priced_products_and_no_overlapping_prices(client, office):
    contract = new_contract(client, office)
    assert contract.status == "draft"
    url = reverse("clinic:contract", args=[contract.pk])
    base = {"action": "product", "service": office["svc"]["EKG"].pk, "vat_rate": "zw", "is_active": "on"}
    first = client.post(url, {**base, "point_price": "55.00", "valid_to": "2027-06-30"}, follow=True)
    assert [str(m) for m in first.context["messages"]] == ["Dodano produkt do umowy."]
    overlap = client.post(url, {**base, "point_price": "58.00", "valid_from": "2027-06-01"})
    assert overlap.context["product_form"].errors == {
        "valid_from": [
            "Usługa EKG ma już w tej umowie cenę na okres 01.01.2027 – 30.06.2027; okresy nie mogą się nakładać."
        ]
    }
    outside = client.post(url, {**base, "point_price": "58.00", "valid_from": "2026-12-01", "valid_to": "2026-12-31"})
    assert outside.context["product_form"].errors == {
        "valid_from": ["Ważność produktu musi mieścić się w okresie umowy (01.01.2027 – 31.12.2027)."]
    }
    precise = client.post(url, {**base, "point_price": "58.005", "valid_from": "2027-07-01"})
    assert precise.context["product_form"].errors == {
        "point_price": ["Upewnij się, że liczba ma nie więcej niż 2 cyfry po przecinku."]
    }
    client.post(url, {**base, "point_price": "58.00", "valid_from": "2027-07-01"})
    prices = list(ContractProduct.objects.order_by("valid_from").values_list("point_price", "valid_from", "valid_to"))
    assert prices == [
        (Decimal("55.00"), dt.date(2027, 1, 1), dt.date(2027, 6, 30)),
        (Decimal("58.00"), dt.date(2027, 7, 1), dt.date(2027, 12, 31)),
    ]


def test_the_whole_range_of_a_group_at_once(client, office):
    contract = new_contract(client, office)
    url = reverse("clinic:contract", args=[contract.pk])
    client.post(
        url,
        {"action": "product", "service": office["svc"]["EKG"].pk, "point_price": "50", "vat_rate": "zw"},
        follow=True,
    )
    response = client.post(url, {"action": "range", "group": office["svc"]["EKG"].group_id}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Dodano cały zakres: nowe produkty 1, pominięte (już w umowie) 1."
    ]
    assert sorted(ContractProduct.objects.values_list("service__code", "point_price")) == [
        ("EKG", Decimal("50.00")),
        ("KONS-KARD", Decimal("220.00")),
    ]


def test_every_contract_transition_allowed_and_refused(client, office):
    contract = new_contract(client, office)
    with pytest.raises(contracts.ContractError) as empty:
        contracts.activate(contract, actor=None)
    assert empty.value.message == "Dodaj do umowy co najmniej jeden aktywny produkt."
    with pytest.raises(TransitionRefused):
        contracts.end(contract, actor=None)  # a draft is not ended, it is never activated
    contracts.add_product(
        contract,
        office["svc"]["EKG"],
        point_price=Decimal("50"),
        valid_from=None,
        valid_to=None,
        vat_rate="zw",
        actor=None,
    )
    contracts.activate(contract, actor=None)
    with pytest.raises(TransitionRefused):
        contracts.activate(contract, actor=None)
    contracts.end(contract, actor=None)
    with pytest.raises(contracts.ContractError) as ended:
        contracts.add_product(
            contract,
            office["svc"]["EKG"],
            point_price=Decimal("1"),
            valid_from=None,
            valid_to=None,
            vat_rate="zw",
            actor=None,
        )
    assert ended.value.message == "Umowa jest zakończona – nie można dodawać produktów."
    assert [t.to_state for t in contracts.CONTRACT.history(contract)] == ["draft", "active", "ended"]


def test_another_providers_contract_service_and_group_are_refused(client, office):
    contract = new_contract(client, office)
    other = make_provider()
    foreign = price_list_services(other)
    url = reverse("clinic:contract", args=[contract.pk])
    bad_service = client.post(
        url, {"action": "product", "service": foreign["EKG"].pk, "point_price": "1", "vat_rate": "zw"}
    )
    assert list(bad_service.context["product_form"].errors) == ["service"]
    bad_group = client.post(url, {"action": "range", "group": foreign["EKG"].group_id})
    assert list(bad_group.context["range_form"].errors) == ["group"]
    other_admin = make_user("ola", other, "admin")
    client.force_login(other_admin)
    assert client.get(url).status_code == 404
    assert ContractProduct.objects.count() == 0
