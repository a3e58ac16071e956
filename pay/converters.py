"""URL converters of the pay app (registered in pay/urls.py)."""


class OrderNumberConverter:
    """An order number in a URL: letters, digits, `-` and `_` (`new_serial`'s alphabet, with room).

    Anything else (a NUL byte, which PostgreSQL refuses in a text parameter) cannot be an order
    number, so it never reaches a query; pay/urls.py answers such URLs "no such order" (1050).
    """

    regex = r"[0-9A-Za-z_-]{1,128}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
