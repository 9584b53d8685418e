"""Check digits of the national identifiers the platform handles.

* 统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters.
* 居民身份证号 (resident identity number), GB 11643-1999: 18 characters, ISO 7064 MOD 11-2.
"""

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    return uscc_check_character(code[:17]) == code[17]


def resident_id_check_character(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_resident_id(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return resident_id_check_character(number[:17]) == number[17].upper()
