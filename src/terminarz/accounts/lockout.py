"""Who a sign-in attempt is for, for the lockout counter (django-axes): staff type a user
name, patients their e-mail (allauth)."""


def attempted_identity(request, credentials) -> str | None:
    credentials = credentials or {}
    for key in ("username", "email", "login"):
        value = credentials.get(key)
        if value:
            return str(value).strip().lower() if "@" in str(value) else str(value)
    if request is not None and request.method == "POST":
        value = request.POST.get("login") or request.POST.get("username")
        if value:
            return value.strip().lower() if "@" in value else value
    return None
