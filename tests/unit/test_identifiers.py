from exchange.identifiers import (
    is_valid_resident_id,
    is_valid_uscc,
    resident_id_check_character,
    uscc_check_character,
)


def test_known_unified_social_credit_code() -> None:
    # A published code (GB 32100 worked example structure): check character computed, then verified.
    first17 = "91350100M000100Y4"
    code = first17 + uscc_check_character(first17)
    assert is_valid_uscc(code)
    assert code[-1] == "3"


def test_uscc_rejects_wrong_check_character_length_and_alphabet() -> None:
    code = "91350100M000100Y43"
    assert not is_valid_uscc(code[:-1] + ("0" if code[-1] != "0" else "1"))
    assert not is_valid_uscc(code[:-1])
    assert not is_valid_uscc(code.replace("M", "I"))  # I, O, S, V, Z are not used


def test_resident_identity_number() -> None:
    # The worked example of GB 11643-1999.
    assert resident_id_check_character("11010519491231002") == "X"
    assert is_valid_resident_id("11010519491231002X")
    assert is_valid_resident_id("11010519491231002x")
    assert not is_valid_resident_id("110105194912310021")
    assert not is_valid_resident_id("1101051949123100")
