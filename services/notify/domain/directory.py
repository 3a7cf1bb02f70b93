"""The contact directory notify owns (issue 5 §1, R-10): people, their contact methods in priority
order, when each can be used, and what another role may see of them.

Other services refer to people by id only. Values are validated and normalised on construction
(``contact()``), masked in every view unless the viewer must dial (``masked_view``); private numbers
and home addresses need their own permission. The api records an audit entry whenever a view
reveals anything (``PersonView.revealed``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

from services.notify.domain import numbers
from shared.contracts.events import NotifyChannel


class ContactKind(StrEnum):
    office_phone = "office_phone"
    mobile = "mobile"
    sip = "sip"
    fax = "fax"
    email = "email"
    private_phone = "private_phone"
    home_address = "home_address"


KIND_NAMES = {
    ContactKind.office_phone: "办公电话",
    ContactKind.mobile: "手机",
    ContactKind.sip: "SIP话机",
    ContactKind.fax: "传真",
    ContactKind.email: "电子邮箱",
    ContactKind.private_phone: "私人电话",
    ContactKind.home_address: "家庭住址",
}

# Which channels each kind of contact can carry. A private phone is dialled only in an emergency,
# and only by someone who may see it; it carries no SMS so that routine traffic never reaches it.
CHANNELS_BY_KIND: dict[ContactKind, tuple[NotifyChannel, ...]] = {
    ContactKind.mobile: (NotifyChannel.phone, NotifyChannel.sms),
    ContactKind.office_phone: (NotifyChannel.phone,),
    ContactKind.sip: (NotifyChannel.phone,),
    ContactKind.fax: (NotifyChannel.fax,),
    ContactKind.email: (NotifyChannel.email,),
    ContactKind.private_phone: (NotifyChannel.phone,),
    ContactKind.home_address: (),
}
_ALWAYS_PRIVATE = {ContactKind.private_phone, ContactKind.home_address}

_VALIDATORS = {
    ContactKind.office_phone: numbers.validate_phone,
    ContactKind.mobile: numbers.validate_mobile,
    ContactKind.sip: numbers.validate_sip,
    ContactKind.fax: numbers.validate_fax,
    ContactKind.email: numbers.validate_email,
    ContactKind.private_phone: numbers.validate_phone,
    ContactKind.home_address: lambda raw: raw.strip(),
}


@dataclass(frozen=True)
class AvailabilityWindow:
    """Weekdays (0 = Monday) and a daily span, in the local time of the datetime passed in.

    ``end < start`` spans midnight (e.g. 22:00–07:00 home duty): Monday 23:00 and Tuesday 06:00 both
    belong to a window listing Monday.
    """

    weekdays: frozenset[int]
    start: time
    end: time

    def covers(self, at: datetime) -> bool:
        moment = at.time().replace(tzinfo=None)
        if self.start <= self.end:
            return at.weekday() in self.weekdays and self.start <= moment < self.end
        if moment >= self.start:
            return at.weekday() in self.weekdays
        return moment < self.end and (at.weekday() - 1) % 7 in self.weekdays


WORKING_HOURS = AvailabilityWindow(frozenset(range(5)), time(8, 30), time(17, 30))


@dataclass(frozen=True)
class ContactMethod:
    kind: ContactKind
    value: str
    private: bool = False
    windows: tuple[AvailabilityWindow, ...] = ()  # empty: usable at any time

    def usable_at(self, at: datetime) -> bool:
        return not self.windows or any(w.covers(at) for w in self.windows)


def contact(
    kind: ContactKind | str, raw: str, *, private: bool = False, windows: Iterable[AvailabilityWindow] = ()
) -> ContactMethod:
    """A validated, normalised contact method; raises ``numbers.InvalidContact`` with a Chinese message."""
    kind = ContactKind(kind)
    value = _VALIDATORS[kind](raw)
    if not value:
        raise numbers.InvalidContact(f"{KIND_NAMES[kind]}为空")
    return ContactMethod(kind, value, private or kind in _ALWAYS_PRIVATE, tuple(windows))


@dataclass(frozen=True)
class Person:
    """``contacts`` are in priority order: the first usable one is tried first."""

    id: str
    name: str
    roles: frozenset[str] = frozenset()
    contacts: tuple[ContactMethod, ...] = ()
    availability: tuple[AvailabilityWindow, ...] = ()  # empty: reachable at any time

    def is_available(self, at: datetime) -> bool:
        return not self.availability or any(w.covers(at) for w in self.availability)

    def contact_plan(
        self, at: datetime, *, channels: Iterable[NotifyChannel] | None = None, include_private: bool = False
    ) -> list[tuple[NotifyChannel, ContactMethod]]:
        """(channel, method) pairs in priority order that may be used at ``at``.

        ``channels`` restricts and does not reorder: the person's own priority decides. Private
        methods come only with ``include_private`` (an emergency the caller was allowed to escalate).
        """
        wanted = set(channels) if channels is not None else None
        plan: list[tuple[NotifyChannel, ContactMethod]] = []
        for method in self.contacts:
            if (method.private and not include_private) or not method.usable_at(at):
                continue
            for channel in CHANNELS_BY_KIND[method.kind]:
                if wanted is None or channel in wanted:
                    plan.append((channel, method))
        return plan


class UnknownPerson(LookupError):
    def __init__(self, person_id: str) -> None:
        super().__init__(f"通讯录中没有编号为“{person_id}”的人员")
        self.person_id = person_id


def find_person(people: dict[str, Person], person_id: str) -> Person:
    try:
        return people[person_id]
    except KeyError:
        raise UnknownPerson(person_id) from None


# -- what a viewer may see -----------------------------------------------------------------------

PRIVATE_HIDDEN = "（需专门授权查看）"


@dataclass(frozen=True)
class ContactView:
    kind: ContactKind
    label: str
    value: str
    masked: bool
    private: bool


@dataclass(frozen=True)
class PersonView:
    id: str
    name: str
    roles: tuple[str, ...]
    contacts: tuple[ContactView, ...]
    revealed: tuple[ContactKind, ...] = field(default=())  # non-empty: the api must write an audit entry


def mask_value(kind: ContactKind, value: str) -> str:
    if kind in (ContactKind.mobile, ContactKind.office_phone, ContactKind.fax, ContactKind.private_phone):
        return numbers.mask_phone(value)
    if kind is ContactKind.email:
        return numbers.mask_email(value)
    if kind is ContactKind.sip:
        return numbers.mask_sip(value)
    return numbers.mask_address(value)


def masked_view(person: Person, *, can_dial: bool, can_see_private: bool) -> PersonView:
    """What a viewer sees. Plain methods in full only with ``can_dial``; private ones are withheld
    entirely without ``can_see_private`` (even their value is replaced, not masked: a masked home
    address still tells the district), and shown in full only with both permissions.
    """
    views: list[ContactView] = []
    revealed: list[ContactKind] = []
    for method in person.contacts:
        label = KIND_NAMES[method.kind]
        if method.private and not can_see_private:
            views.append(ContactView(method.kind, label, PRIVATE_HIDDEN, True, True))
        elif can_dial:
            views.append(ContactView(method.kind, label, method.value, False, method.private))
            revealed.append(method.kind)
        else:
            views.append(ContactView(method.kind, label, mask_value(method.kind, method.value), True, method.private))
    return PersonView(person.id, person.name, tuple(sorted(person.roles)), tuple(views), tuple(revealed))
