"""Staff accounts and permissions (B1): a provider admin adds staff, sets roles and single
permissions, requires a second sign-in factor, unlocks and resets accounts. Only memberships
of the admin's own provider are ever touched; every change is audited in its transaction."""

from collections.abc import Callable, Iterable

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.db import transaction

from terminarz.core.audit import record_audit

from .models import Membership, Provider
from .permissions import PERMISSIONS, ROLE_PERMISSIONS


class StaffAccessError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def exceptions_to_role(role: str, chosen: Iterable[str]) -> tuple[list[str], list[str]]:
    """The chosen permissions as per-person grants and revocations against the role's defaults."""
    default = ROLE_PERMISSIONS.get(role, frozenset())
    return sorted(set(chosen) - default), sorted(default - set(chosen))


def add_staff(
    provider: Provider,
    *,
    actor,
    username: str,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    role: str,
    permissions: Iterable[str],
) -> Membership:
    granted, revoked = exceptions_to_role(role, permissions)
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username, email, password, first_name=first_name, last_name=last_name
        )
        membership = Membership.objects.create(
            user=user, provider=provider, role=role, granted=granted, revoked=revoked
        )
        record_audit(
            provider_id=provider.pk,
            action="staff.added",
            target=membership,
            summary=f"Dodano konto personelu {user.username} (rola: {membership.get_role_display()})",
            actor=actor,
            changes={"granted": granted, "revoked": revoked},
        )
    return membership


def change_permissions(membership: Membership, *, actor, role: str, permissions: Iterable[str]) -> Membership:
    permissions = set(permissions)
    if membership.user_id == actor.pk and "staff.change" not in permissions:
        raise StaffAccessError("Nie możesz odebrać sobie uprawnienia do zarządzania personelem.")
    granted, revoked = exceptions_to_role(role, permissions)
    with transaction.atomic():
        before_role, before_permissions = membership.get_role_display(), membership.permissions
        membership.role, membership.granted, membership.revoked = role, granted, revoked
        membership.save(update_fields=["role", "granted", "revoked"])
        record_audit(
            provider_id=membership.provider_id,
            action="staff.permissions",
            target=membership,
            summary=f"Zmieniono uprawnienia konta {membership.user.username}",
            actor=actor,
            changes=_permission_changes(before_role, before_permissions, membership),
        )
    return membership


def remove_staff(membership: Membership, *, actor) -> None:
    if membership.user_id == actor.pk:
        raise StaffAccessError("Nie możesz odebrać dostępu samemu sobie.")
    with transaction.atomic():
        record_audit(
            provider_id=membership.provider_id,
            action="staff.removed",
            target=membership,
            summary=f"Odebrano dostęp kontu {membership.user.username}",
            actor=actor,
        )
        membership.delete()


def set_staff_2fa_required(provider: Provider, wanted: bool, *, actor) -> bool:
    """Require (or not) a second sign-in factor from all staff; False when nothing changed."""
    if provider.require_staff_2fa == wanted:
        return False
    with transaction.atomic():
        provider.require_staff_2fa = wanted
        provider.save(update_fields=["require_staff_2fa"])
        record_audit(
            provider_id=provider.pk,
            action="settings.2fa_required" if wanted else "settings.2fa_optional",
            target=provider,
            summary="Włączono wymóg logowania dwuskładnikowego"
            if wanted
            else "Wyłączono wymóg logowania dwuskładnikowego",
            actor=actor,
            changes={"require_staff_2fa": wanted},
        )
    return True


def beyond_this_provider(membership: Membership) -> str:
    """Why a provider admin may not touch this account's sign-in (empty when they may): a platform
    account, or a person who works at another provider too, is the platform operator's to manage."""
    user = membership.user
    if user.is_staff or user.is_superuser:
        return "to konto platformy"
    if Membership.objects.filter(user=user).exclude(provider_id=membership.provider_id).exists():
        return "ta osoba pracuje także w innych placówkach"
    return ""


def unlock_staff(membership: Membership, *, actor) -> None:
    """Lift the sign-in lockout (django-axes) of a person of this provider only."""
    username = membership.user.username
    if reason := beyond_this_provider(membership):
        raise StaffAccessError(f"Konto {username} może odblokować tylko operator platformy, bo {reason}.")
    with transaction.atomic():
        axes_reset(username=username)
        record_audit(
            provider_id=membership.provider_id,
            action="staff.unlocked",
            target=membership,
            summary=f"Odblokowano logowanie konta {username}",
            actor=actor,
        )


def reset_second_factor(membership: Membership, *, actor, reset: Callable[[object], bool]) -> bool:
    """A lost phone or mailbox: remove the person's second factor (`reset`, the factors app's
    `reset_for`, which this layer cannot import) so they can set a new one; False when they had
    none."""
    username = membership.user.username
    if reason := beyond_this_provider(membership):
        raise StaffAccessError(
            f"Drugi składnik konta {username} może zresetować tylko operator platformy, bo {reason}."
        )
    with transaction.atomic():
        if not reset(membership.user):
            return False
        record_audit(
            provider_id=membership.provider_id,
            action="staff.2fa_reset",
            target=membership,
            summary=f"Zresetowano logowanie dwuskładnikowe konta {username}",
            actor=actor,
        )
    return True


def _permission_changes(before_role: str, before: frozenset[str], membership: Membership) -> dict:
    """The role before → after and the permissions the person gained and lost, by their names."""
    after = membership.permissions
    changes: dict = {}
    if before_role != membership.get_role_display():
        changes["role"] = {"before": str(before_role), "after": str(membership.get_role_display())}
    for key, names in (("permissions_added", after - before), ("permissions_removed", before - after)):
        if names:
            changes[key] = sorted(str(PERMISSIONS[name]) for name in names if name in PERMISSIONS)
    return changes
