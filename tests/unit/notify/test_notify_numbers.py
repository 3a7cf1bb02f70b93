import pytest

from services.notify.domain.numbers import (
    InvalidContact,
    mask_address,
    mask_email,
    mask_phone,
    mask_sip,
    validate_e164,
    validate_email,
    validate_fax,
    validate_landline,
    validate_mobile,
    validate_phone,
    validate_sip,
)


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "008613812345678", "１３８１２３４５６７８"],
)
def test_mobile_forms_normalise_to_e164(raw):
    assert validate_mobile(raw) == "+8613812345678"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12812345678", "第二位应为3至9"),
        ("1381234567", "应为11位，实际为10位"),
        ("138123456789", "应为11位，实际为12位"),
        ("23812345678", "应以1开头"),
        ("1381234567a", "含有非数字字符"),
        ("", "为空"),
    ],
)
def test_bad_mobiles_say_what_is_wrong(raw, message):
    with pytest.raises(InvalidContact, match=message):
        validate_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("010-12345678", "+861012345678"),
        ("(021) 6123 4567", "+862161234567"),
        ("0755-1234567", "+867551234567"),
        ("0755-12345678", "+8675512345678"),
        ("0755-1234567转801", "+867551234567;ext=801"),
        ("+86 10 12345678", "+861012345678"),
    ],
)
def test_landlines_keep_area_code_and_extension(raw, expected):
    assert validate_landline(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12345678", "缺少区号"),
        ("010-1234567", "区号010后的本地号码应为8位，实际为7位"),
        ("0755-123456", "应为7或8位，实际为6位"),
        ("0755-0234567", "不能以0开头"),
    ],
)
def test_bad_landlines(raw, message):
    with pytest.raises(InvalidContact, match=message):
        validate_landline(raw)


def test_e164():
    assert validate_e164("+1 202 555 0100") == "+12025550100"
    assert validate_e164("0044 20 7123 4567") == "+442071234567"
    with pytest.raises(InvalidContact, match="E.164"):
        validate_e164("+0123456")
    with pytest.raises(InvalidContact, match="E.164"):
        validate_e164("+1234567890123456")
    with pytest.raises(InvalidContact, match="应以\\+"):
        validate_e164("2025550100")


def test_validate_phone_dispatches_on_shape():
    assert validate_phone("13812345678") == "+8613812345678"
    assert validate_phone("010-12345678") == "+861012345678"
    assert validate_phone("+44 20 7123 4567") == "+442071234567"
    with pytest.raises(InvalidContact, match="无法识别"):
        validate_phone("755-1234567")


def test_fax_refuses_mobiles_and_extensions():
    assert validate_fax("010-12345678") == "+861012345678"
    with pytest.raises(InvalidContact, match="手机无法接收传真"):
        validate_fax("13812345678")
    with pytest.raises(InvalidContact, match="不能带分机号"):
        validate_fax("010-12345678转12")


def test_email_and_sip():
    assert validate_email(" Zhang.San@GOV.CN ") == "Zhang.San@gov.cn"
    with pytest.raises(InvalidContact, match="缺少@"):
        validate_email("zhangsan.gov.cn")
    assert validate_sip("SIP:8001@PBX.Gov.cn:5060") == "sip:8001@pbx.gov.cn:5060"
    with pytest.raises(InvalidContact, match="应以sip:开头"):
        validate_sip("8001@pbx")
    with pytest.raises(InvalidContact, match="格式不正确"):
        validate_sip("sip:nohost")


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("+861012345678", "+8610****5678"),
        ("010-12345678", "010****5678"),
        ("+867551234567;ext=801", "+86755***4567"),
        ("+442071234567", "+44******4567"),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_masking_never_leaves_the_dialable_middle():
    masked = mask_phone("+8613812345678")
    assert "1234" not in masked and masked.endswith("5678")


def test_mask_other_fields():
    assert mask_email("zhangsan@gov.cn") == "z***@gov.cn"
    assert mask_sip("sip:8001@pbx.gov.cn") == "sip:8***@pbx.gov.cn"
    assert mask_address("某市某区幸福路10号3单元") == "某市某区****"
    assert mask_address("某市") == "****"
