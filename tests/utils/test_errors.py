from utils.errors import REGISTRY, AppError, Codes


def test_registry_codes_are_unique_and_indexed():
    declared = [v for v in vars(Codes).values() if hasattr(v, "code")]
    assert len(REGISTRY) == len(declared)


def test_registry_keeps_the_seed_settlement_codes():
    for code in (1020, 1021, 1022, 1023, 1024, 1026, 1027, 1028, 1029):
        assert code in REGISTRY


def test_business_outcomes_answer_http_200():
    for code in (1005, 1010, 1011, 1012, 1013, 1021, 1022, 1028, 1040, 1041, 1042, 1043, 1051):
        assert REGISTRY[code].http_status == 200


def test_transport_failures_carry_their_http_status():
    assert REGISTRY[1001].http_status == 401
    assert REGISTRY[1002].http_status == 400
    assert REGISTRY[1003].http_status == 503
    assert REGISTRY[1004].http_status == 429


def test_app_error_defaults_its_detail_to_the_registry_message():
    error = AppError(Codes.CART_FULL)
    assert error.detail == Codes.CART_FULL.message
