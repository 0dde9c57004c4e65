"""Rupee amounts as exact Decimals to the paisa: the one rounding rule, Indian formatting, words."""

from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
)

PAISA = Decimal("0.01")
ROUNDING = ROUND_HALF_UP
LAKH = Decimal(100_000)
CRORE = Decimal(10_000_000)

# Shown wherever an amount is missing, so a blank cell is never mistaken for zero.
MISSING = "\u2014"

# A private context, so a caller that changed the thread's decimal context (precision,
# rounding, traps) cannot change how this module rounds; 34 digits holds any real amount.
_CONTEXT = Context(prec=34, rounding=ROUNDING)

MoneyInput = Decimal | int | str


def _to_decimal(value: MoneyInput, *, what: str = "amount") -> Decimal:
    """Parse without rounding, so lakh()/crore() scale before the single quantize."""
    # bool is an int subclass: True would otherwise pass silently as Rs 1.00.
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(
            f"{what} must be a Decimal, int or str, not {type(value).__name__}"
            + (" (floats cannot hold paise exactly)" if isinstance(value, float) else "")
        )
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{what} {value!r} is not a number") from None
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return number


def _quantize(number: Decimal, exponent: Decimal) -> Decimal:
    try:
        result = number.quantize(exponent, rounding=ROUNDING, context=_CONTEXT)
    except InvalidOperation:
        raise ValueError(f"{number} has too many digits to hold exactly") from None
    # -0.001 rounds to -0.00; showing "-Rs 0.00" on a letter would be nonsense.
    return result.copy_abs() if result.is_zero() else result


def to_money(value: MoneyInput) -> Decimal:
    """Return `value` in rupees rounded half up to the paisa: the project's one rounding rule.

    Accepts Decimal, int or str ("1,23,456.78" and "123,456.78" alike); refuses float
    and bool with TypeError, and text that is not a finite number with ValueError.
    """
    return _quantize(_to_decimal(value), PAISA)


def lakh(n: MoneyInput) -> Decimal:
    """Return `n` lakh rupees, to the paisa."""
    return _quantize(_CONTEXT.multiply(_to_decimal(n), LAKH), PAISA)


def crore(n: MoneyInput) -> Decimal:
    """Return `n` crore rupees, to the paisa."""
    return _quantize(_CONTEXT.multiply(_to_decimal(n), CRORE), PAISA)


def group_indian(digits: str) -> str:
    """Group a run of digits the Indian way: last three, then pairs ("1,23,45,678")."""
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"expected a run of digits 0-9, got {digits!r}")
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while head:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([*pairs, tail])


def _places_exponent(places: int) -> Decimal:
    if isinstance(places, bool) or not isinstance(places, int) or places < 0:
        raise ValueError(f"places must be a whole number >= 0, got {places!r}")
    return Decimal(1).scaleb(-places)


def _grouped(number: Decimal) -> tuple[str, str]:
    """Split into sign and Indian-grouped magnitude, keeping the decimals `number` carries."""
    sign = "-" if number.is_signed() and not number.is_zero() else ""
    whole, _, fraction = format(number.copy_abs(), "f").partition(".")
    text = group_indian(whole)
    return sign, f"{text}.{fraction}" if fraction else text


def _with_symbol(sign: str, magnitude: str, symbol: str, suffix: str = "") -> str:
    prefix = f"{symbol} " if symbol else ""
    return f"{sign}{prefix}{magnitude}{suffix}"


def format_inr(amount: MoneyInput | None, *, symbol: str = "Rs") -> str:
    """Format rupees as "Rs 1,23,45,678.00" ("-Rs 1,234.50" when negative)."""
    if amount is None:
        return MISSING
    sign, magnitude = _grouped(to_money(amount))
    return _with_symbol(sign, magnitude, symbol)


def _format_in_unit(amount: MoneyInput | None, unit: Decimal, name: str, places: int) -> str:
    if amount is None:
        return MISSING
    exponent = _places_exponent(places)
    # Round to the paisa first so a figure reads the same as its rupee form would.
    count = _quantize(_CONTEXT.divide(to_money(amount), unit), exponent)
    sign, magnitude = _grouped(count)
    return _with_symbol(sign, magnitude, "Rs", f" {name}")


def format_crore(amount: MoneyInput | None, places: int = 2) -> str:
    """Format rupees as a count of crores: 6,450,000,000 -> "Rs 645.00 crore"."""
    return _format_in_unit(amount, CRORE, "crore", places)


def format_lakh(amount: MoneyInput | None, places: int = 2) -> str:
    """Format rupees as a count of lakhs: 1,250,000 -> "Rs 12.50 lakh"."""
    return _format_in_unit(amount, LAKH, "lakh", places)


def format_indian_number(value: MoneyInput | None, places: int | None = None) -> str:
    """Format a quantity (kg, MTPA) with Indian grouping; decimals as given unless `places`."""
    if value is None:
        return MISSING
    number = _to_decimal(value, what="quantity")
    if places is not None:
        number = _quantize(number, _places_exponent(places))
    sign, magnitude = _grouped(number)
    return f"{sign}{magnitude}"


_ONES = (
    "Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
    "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen",
    "Nineteen",
)  # fmt: skip
# Indexed by the tens digit; 0 and 1 never reach this table (they are read from _ONES).
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _below_hundred(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return f"{_TENS[tens]}-{_ONES[ones]}" if ones else _TENS[tens]


def _indian_words(n: int) -> str:
    """Words for a positive whole number, in crores, lakhs, thousands and hundreds."""
    crores, rest = divmod(n, 10_000_000)
    lakhs, rest = divmod(rest, 100_000)
    thousands, rest = divmod(rest, 1_000)
    hundreds, rest = divmod(rest, 100)
    parts = []
    if crores:
        # Beyond 99 crore the count of crores is itself read in Indian words
        # ("Six Thousand Four Hundred Fifty Crore"), never as "arab" or "kharab".
        parts.append(f"{_indian_words(crores)} Crore")
    if lakhs:
        parts.append(f"{_below_hundred(lakhs)} Lakh")
    if thousands:
        parts.append(f"{_below_hundred(thousands)} Thousand")
    if hundreds:
        parts.append(f"{_ONES[hundreds]} Hundred")
    if rest:
        parts.append(_below_hundred(rest))
    return " ".join(parts)


def amount_in_words(amount: MoneyInput) -> str:
    """Spell an amount as on a sanction letter: "Rupees Seventy-Five Crore Only"."""
    money = to_money(amount)
    if money < 0:
        raise ValueError(f"cannot spell a negative amount in words: {money}")
    rupees, paise = divmod(int(money.scaleb(2, context=_CONTEXT)), 100)
    words = f"Rupees {_indian_words(rupees) if rupees else 'Zero'}"
    if paise:
        words += f" and Paise {_below_hundred(paise)}"
    return f"{words} Only"
