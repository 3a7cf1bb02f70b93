"""Phone, fax, SIP and e-mail validation and masking (R-09 bad input, R-10 masking).

Every validator returns the normalised value or raises ``InvalidContact`` with a Chinese message
that says exactly what is wrong, so an operator typing a number sees the fix, not a stack trace.
Normal forms: Chinese mobiles and landlines in E.164 (``+8613812345678``, ``+861012345678``),
a landline extension after ``;ext=`` (RFC 3966), SIP URIs lower-cased in the host part.
"""

from __future__ import annotations

import re
import unicodedata

# Area codes with a 2-digit national part (after the trunk 0): Beijing 10 and the 2x block.
# Everything else uses 3 digits (0xxx). Local numbers are 8 digits for the 2-digit areas,
# 7 or 8 digits elsewhere.
_TWO_DIGIT_AREAS = re.compile(r"^(10|2\d)")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$")
_SIP = re.compile(r"^(sips?):([A-Za-z0-9._~+\-!$&'()*,;=%]+)@([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$")
_SEPARATORS = re.compile(r"[\s\-()（）.·]")
_EXTENSION = re.compile(r"(?:转|ext\.?|x|#|;ext=)\s*(\d{1,6})$", re.IGNORECASE)


class InvalidContact(ValueError):
    """A contact value that cannot be used; the message is Chinese and names the fix."""


def _clean(raw: str) -> str:
    # Full-width digits and plus signs come from IME input; NFKC turns them into ASCII.
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw).strip())


def _national(digits: str) -> str:
    """Strip +86 / 0086 / 86 (when followed by a mobile) so Chinese numbers are checked the same way."""
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            rest = digits[len(prefix):]
            return rest if _MOBILE.match(rest) or rest.startswith("0") else "0" + rest
    if digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        return digits[2:]
    return digits


def validate_mobile(raw: str) -> str:
    """A mainland Chinese mobile (1[3-9] and 11 digits) in E.164: ``+8613812345678``."""
    digits = _national(_clean(raw))
    if not digits:
        raise InvalidContact("手机号码为空")
    if not digits.isdigit():
        raise InvalidContact(f"手机号码“{raw}”含有非数字字符")
    if not digits.startswith("1"):
        raise InvalidContact(f"手机号码“{raw}”应以1开头")
    if len(digits) != 11:
        raise InvalidContact(f"手机号码“{raw}”应为11位，实际为{len(digits)}位")
    if not _MOBILE.match(digits):
        raise InvalidContact(f"手机号码“{raw}”第二位应为3至9")
    return "+86" + digits


def validate_landline(raw: str) -> str:
    """A Chinese landline with area code, e.g. ``010-12345678``, ``0755 1234567 转 801``.

    Returns ``+861012345678`` or ``+867551234567;ext=801``.
    """
    cleaned = _clean(raw)
    extension = ""
    if match := _EXTENSION.search(cleaned):
        extension, cleaned = match.group(1), cleaned[: match.start()]
    digits = _national(cleaned)
    if not digits:
        raise InvalidContact("固定电话号码为空")
    if not digits.isdigit():
        raise InvalidContact(f"固定电话“{raw}”含有非数字字符")
    if not digits.startswith("0"):
        raise InvalidContact(f"固定电话“{raw}”缺少区号（应以0开头，如010、0755）")
    national = digits[1:]
    area_len = 2 if _TWO_DIGIT_AREAS.match(national) else 3
    area, local = national[:area_len], national[area_len:]
    allowed = (8,) if area_len == 2 else (7, 8)
    if area.startswith("1") and area != "10":
        raise InvalidContact(f"固定电话“{raw}”区号0{area}无效")
    if len(local) not in allowed:
        expect = "8位" if area_len == 2 else "7或8位"
        raise InvalidContact(f"固定电话“{raw}”区号0{area}后的本地号码应为{expect}，实际为{len(local)}位")
    if local[0] == "0":
        raise InvalidContact(f"固定电话“{raw}”本地号码不能以0开头")
    return f"+86{area}{local}" + (f";ext={extension}" if extension else "")


def validate_e164(raw: str) -> str:
    """Any international number in E.164 (``+`` then up to 15 digits, no leading 0 in the country code)."""
    cleaned = _clean(raw)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not cleaned.startswith("+"):
        raise InvalidContact(f"国际号码“{raw}”应以+和国家代码开头")
    if not cleaned[1:].isdigit():
        raise InvalidContact(f"国际号码“{raw}”含有非数字字符")
    if not _E164.match(cleaned):
        raise InvalidContact(f"国际号码“{raw}”不符合E.164格式（国家代码不能以0开头，总长不超过15位）")
    return cleaned


def validate_phone(raw: str) -> str:
    """A mobile, a landline or a foreign E.164 number — whichever the input looks like."""
    cleaned = _national(_clean(raw))
    if not cleaned:
        raise InvalidContact("电话号码为空")
    if cleaned.startswith("1") and not cleaned.startswith("+"):
        return validate_mobile(raw)
    if cleaned.startswith("0") and not cleaned.startswith("00"):
        return validate_landline(raw)
    if cleaned.startswith(("+", "00")):
        return validate_e164(raw)
    raise InvalidContact(f"电话号码“{raw}”无法识别：手机应为11位，固定电话应带区号，国际号码应以+开头")


def validate_fax(raw: str) -> str:
    """A fax number: a landline (no extension: a fax machine cannot dial one) or a foreign E.164 number."""
    normalised = validate_phone(raw)
    if ";ext=" in normalised:
        raise InvalidContact(f"传真号码“{raw}”不能带分机号，请填写传真机的直线号码")
    if normalised.startswith("+86") and _MOBILE.match(normalised[3:]):
        raise InvalidContact(f"传真号码“{raw}”是手机号码，手机无法接收传真")
    return normalised


def validate_email(raw: str) -> str:
    value = unicodedata.normalize("NFKC", raw).strip()
    if not value:
        raise InvalidContact("电子邮箱为空")
    if "@" not in value:
        raise InvalidContact(f"电子邮箱“{raw}”缺少@")
    if not _EMAIL.match(value):
        raise InvalidContact(f"电子邮箱“{raw}”格式不正确")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def validate_sip(raw: str) -> str:
    scheme, colon, rest = raw.strip().partition(":")
    if not colon or scheme.lower() not in ("sip", "sips"):
        raise InvalidContact(f"SIP地址“{raw}”应以sip:开头")
    match = _SIP.match(f"{scheme.lower()}:{rest}")
    if not match:
        raise InvalidContact(f"SIP地址“{raw}”格式不正确，应为sip:用户@主机")
    scheme, user, host, port = match.groups()
    return f"{scheme}:{user}@{host.lower()}{port or ''}"


# -- masking -------------------------------------------------------------------------------------

def mask_phone(value: str) -> str:
    """``13812345678 -> 138****5678``; a landline keeps its area code: ``+861012345678 -> +8610****5678``.

    The last four digits stay so a duty officer can tell two numbers apart; everything else that
    would let someone dial is starred. Extensions are dropped (they identify the office).
    """
    number = _clean(value.split(";ext=")[0])
    prefix = ""
    if number.startswith("+86"):
        prefix, number = "+86", number[3:]
        if not _MOBILE.match(number):
            number = "0" + number  # mask the landline exactly as in the national form below
    elif number.startswith("+"):
        prefix, number = number[:3], number[3:]
    if len(number) < 8:
        return prefix + "*" * max(len(number) - 2, 0) + number[-2:]
    if _MOBILE.match(number):
        head = 3
    elif number.startswith("0"):
        head = 3 if _TWO_DIGIT_AREAS.match(number[1:]) else 4
    else:
        head = 0
    masked = number[:head] + "*" * (len(number) - head - 4) + number[-4:]
    if prefix == "+86" and masked.startswith("0"):
        masked = masked[1:]
    return prefix + masked


def mask_email(value: str) -> str:
    """``zhangsan@gov.cn -> z***@gov.cn``: the domain tells which office, the mailbox stays hidden."""
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_sip(value: str) -> str:
    scheme, _, rest = value.partition(":")
    user, _, host = rest.partition("@")
    return f"{scheme}:{user[:1]}***@{host}" if host else f"{scheme}:***"


def mask_address(value: str) -> str:
    """Keep the first four characters (city/district) only: ``某市某区某路10号 -> 某市某区****``."""
    return value[:4] + "****" if len(value) > 4 else "****"
