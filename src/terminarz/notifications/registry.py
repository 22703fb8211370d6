"""Context builders per message kind: a queued message stores ids; the worker renders it."""

from collections.abc import Callable

ContextBuilder = Callable[[dict], dict]
_BUILDERS: dict[str, ContextBuilder] = {}


def register_context(kind: str) -> Callable[[ContextBuilder], ContextBuilder]:
    def decorator(builder: ContextBuilder) -> ContextBuilder:
        _BUILDERS[kind] = builder
        return builder

    return decorator


def build_context(kind: str, stored: dict) -> dict:
    try:
        builder = _BUILDERS[kind]
    except KeyError:
        raise LookupError(f"no context builder registered for message kind {kind!r}") from None
    return builder(stored)


Attachment = tuple[str, bytes, str]  # file name, content, MIME type
AttachmentBuilder = Callable[[dict], list[Attachment]]
_ATTACHMENTS: dict[str, AttachmentBuilder] = {}


def register_attachments(kind: str) -> Callable[[AttachmentBuilder], AttachmentBuilder]:
    def decorator(builder: AttachmentBuilder) -> AttachmentBuilder:
        _ATTACHMENTS[kind] = builder
        return builder

    return decorator


def build_attachments(kind: str, stored: dict) -> list[Attachment]:
    """Files to attach, rendered at delivery like the body (none for most kinds)."""
    builder = _ATTACHMENTS.get(kind)
    return builder(stored) if builder else []


# A message kind may have a last check at delivery (I2: a marketing message whose recipient has
# withdrawn the consent since it was queued is not sent): "" sends, a text is the reason not to.
DeliveryGuard = Callable[[object], str]
_GUARDS: dict[str, DeliveryGuard] = {}


def register_guard(kind: str) -> Callable[[DeliveryGuard], DeliveryGuard]:
    def decorator(guard: DeliveryGuard) -> DeliveryGuard:
        _GUARDS[kind] = guard
        return guard

    return decorator


def delivery_refusal(message) -> str:
    guard = _GUARDS.get(message.kind)
    return guard(message) if guard else ""
