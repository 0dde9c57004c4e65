"""Hindi and English: the language switch, and (further down) no untranslated text in the pages
that are covered."""

from __future__ import annotations

import ast
import re
import sys
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.urls import reverse
from django.utils import translation

from repm_portal import ui
from tests.factories import PASSWORD

HINDI = re.compile(r"[\u0900-\u097F]")


def _html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang=...> on the page"
    return match.group(1)


@pytest.fixture
def official(client, users):
    user = users["official"]
    assert client.login(username=user.username, password=PASSWORD)
    return user


# --- the mechanism ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_english_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert _html_lang(response) == "en"
    assert "Log in" in response.content.decode()


@pytest.mark.django_db
def test_accept_language_hindi_renders_hindi(client, official):
    response = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="hi-IN,hi;q=0.9,en;q=0.5")
    assert response.status_code == 200
    assert _html_lang(response) == "hi"
    html = response.content.decode()
    assert "लॉग आउट" in html  # the log-out button
    assert "डैशबोर्ड" in html  # the navigation


@pytest.mark.django_db
def test_language_cookie_renders_hindi(client, official):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    response = client.get(reverse("dashboard"))
    assert _html_lang(response) == "hi"
    assert "भाषा बदलें" in response.content.decode()


@pytest.mark.django_db
def test_switch_is_on_every_page_labelled_and_posts_to_set_language(client, official):
    html = client.get(reverse("dashboard")).content.decode()
    form = re.search(
        r'<form class="langswitch[^"]*" method="post" action="([^"]+)">(.*?)</form>', html, re.S
    )
    assert form, "no language switch"
    assert form.group(1) == reverse("set_language")
    body = form.group(2)
    assert 'name="csrfmiddlewaretoken"' in body
    assert f'name="next" value="{reverse("dashboard")}"' in body
    assert re.search(r'<label for="langswitch-language">Language</label>', body)
    assert re.search(r'<select id="langswitch-language" name="language">', body)
    assert '<option value="hi" lang="hi">हिन्दी</option>' in body
    assert '<option value="en" lang="en" selected>English</option>' in body
    assert '<button type="submit">Change language</button>' in body


@pytest.mark.django_db
def test_the_switch_choice_sticks(client, official):
    response = client.post(
        reverse("set_language"), {"language": "hi", "next": reverse("rule_set_list")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("rule_set_list")
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "hi"
    assert int(cookie["max-age"]) == settings.LANGUAGE_COOKIE_AGE
    # Remembered on later pages, even against the browser's English Accept-Language.
    for name in ("dashboard", "rule_set_list"):
        page = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en")
        assert _html_lang(page) == "hi"
        assert HINDI.search(page.content.decode())
    client.post(reverse("set_language"), {"language": "en", "next": reverse("dashboard")})
    assert _html_lang(client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="hi")) == "en"


@pytest.mark.django_db
def test_switch_refuses_an_offsite_next(client, official):
    response = client.post(
        reverse("set_language"), {"language": "hi", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_locale_paths_are_the_parts():
    parts = [p.name for p in settings.LOCALE_PATHS]
    assert parts == sorted(parts)
    assert {"core", "bidding"} <= set(parts)
    for part in settings.LOCALE_PATHS:
        assert (part / "hi" / "LC_MESSAGES" / "django.po").is_file()


@pytest.mark.django_db
def test_the_api_stays_english(client, official):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    response = client.get(reverse("api-me"), HTTP_ACCEPT_LANGUAGE="hi")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert not HINDI.search(response.content.decode())


# --- no untranslated text in the covered templates -------------------------------------------
# A directory (ending in "/") or one template, relative to templates/, whose every visible string
# is translated and whose every message the Hindi catalogue translates. It must grow to everything.
COVERED = [
    "base.html",
    "_error_summary.html",
    "dashboard.html",
    "_form_fields.html",
    "_pager.html",
    "403.html",
    "404.html",
    "500.html",
    "panels/",
    "registration/",
    "scheme/",
    "audit/",
    "beneficiaries/",
    "bidding/",
    "claims/",
    "incentives/",
    "sli/",
    "capital/",
    "evidence/",
    "forecast/",
    "gestation/",
    "monitor/",
    "opendata/",
    "oversight/",
    "payments/",
    "recovery/",
    "sampling/",
    "site/",
]
# The templates of the PDFs are rendered in the default language (repm_portal.pdf), and e-mails too.
# The PDFs' templates (any pdf/ directory) are rendered in the default language
# (repm_portal.pdf), and so are the e-mails (email/): they are not pages.
NOT_PAGES = {"pdf", "email"}
# What is left to translate; an entry moves to COVERED when its part is done, until this is empty.
NOT_YET: list[str] = []
# Words that are the same in Hindi pages: proper names, codes and units.
SAME_IN_HINDI = {
    "REPM",
    "OCDS",
    "API",
    "SLI",
    "IST",
    "Rs",
    "kg",
    "MTPA",
    "PDF",
    "CSV",
    "XLSX",
    "UTR",
    "CIN",
    "GSTIN",
    "PAN",
    "IFSC",
    "SHA",
    "PBG",
    "UTC",
    "JSON",
    "REPM_CLOCK_AS_OF",
}
# Attributes a reader sees or hears.
VISIBLE_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description"}
# Python modules whose lazily translated strings the catalogue must translate.
COVERED_PYTHON: list[str] = [
    "repm_portal",
    "beneficiaries",
    "bidding",
    "incentives/claims",
    "incentives/forms.py",
    "incentives/sanctions.py",
    "incentives/sli",
    "incentives/views.py",
    "incentives/evidence",
    "incentives/forecast",
    "incentives/gestation",
    "incentives/recovery",
    "incentives/sampling",
]
# Apps whose models' choice labels the pages show (translated at display time).
COVERED_CHOICES: list[str] = [
    "repm_portal",
    "beneficiaries",
    "bidding",
    "claims",
    "incentives",
    "sli",
    "capital",
    "evidence",
    "gestation",
    "oversight",
    "payments",
    "recovery",
    "sampling",
]

TEMPLATES_DIR = settings.BASE_DIR / "templates"
WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


def page_templates(entries: list[str]) -> list[str]:
    """The page templates (relative to templates/) that a list of COVERED-style entries names."""
    names = []
    for entry in entries:
        if entry.endswith("/"):
            names += sorted(
                str(p.relative_to(TEMPLATES_DIR))
                for p in (TEMPLATES_DIR / entry).rglob("*.html")
                if not NOT_PAGES & set(p.relative_to(TEMPLATES_DIR).parts[:-1])
            )
        else:
            names.append(entry)
    return names


def covered_templates() -> list[str]:
    return page_templates(COVERED)


def _strip_template(source: str) -> str:
    source = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", source, flags=re.S)
    source = re.sub(r"{#.*?#}", "", source, flags=re.S)
    source = re.sub(
        r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", "", source, flags=re.S
    )
    source = re.sub(r"{%.*?%}", "", source, flags=re.S)
    source = re.sub(r"{{.*?}}", "", source, flags=re.S)
    return source


class _VisibleText(HTMLParser):
    """Text a reader sees outside translation tags, except inside elements marked with lang=."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.found: list[str] = []

    def _fixed_language(self) -> bool:
        return any(marked for _, marked in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag not in VOID:
            # A literal lang= fixes the language; one the template fills in (<html lang="{{ ..."),
            # empty here, is the page's own language and fixes nothing.
            fixed = bool(attributes.get("lang")) or tag in {"script", "style", "code"}
            self.stack.append((tag, fixed))
        if self._fixed_language():
            return
        shown = {k: v for k, v in attributes.items() if k in VISIBLE_ATTRIBUTES}
        if tag == "input" and attributes.get("type") in {"submit", "button", "reset"}:
            shown["value"] = attributes.get("value")
        for name, value in shown.items():
            self._check(value or "", f"{tag}[{name}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self._fixed_language():
            self._check(data, "text")

    def _check(self, text: str, where: str) -> None:
        words = [w for w in WORD.findall(text) if w not in SAME_IN_HINDI]
        # A lone letter beside a figure ("v3", "3 %") is a unit or a prefix, not a sentence.
        if any(len(w) > 1 for w in words):
            self.found.append(f"{where}: {' '.join(text.split())[:80]!r}")


# Text given to a filter ({{ x|default:"none" }}) is shown as it is, untranslated.
FILTER_TEXT = re.compile(r'\|(?:default|default_if_none|yesno):"([^"]*)"')


def untranslated_strings(name: str) -> list[str]:
    source = (TEMPLATES_DIR / name).read_text()
    parser = _VisibleText()
    for text in FILTER_TEXT.findall(source):
        parser._check(text, "filter")
    parser.feed(_strip_template(source))
    parser.close()
    return parser.found


def template_messages(name: str) -> list[tuple[str | None, str, str | None]]:
    """(context, msgid, plural) of every literal {% translate %} and {% blocktranslate %}."""
    nodelist = engines["django"].engine.get_template(name).nodelist
    found: list[tuple[str | None, str, str | None]] = []
    for node in nodelist.get_nodes_by_type(TranslateNode):
        literal = getattr(node.filter_expression.var, "literal", None)
        if isinstance(literal, str):
            found.append((_message_context(node), str(literal), None))
    for node in nodelist.get_nodes_by_type(BlockTranslateNode):
        singular, _ = node.render_token_list(node.singular)
        plural = node.render_token_list(node.plural)[0] if node.plural else None
        found.append((_message_context(node), singular, plural))
    return found


def _message_context(node) -> str | None:
    return str(node.message_context.var) if node.message_context else None


def _hindi(context: str | None, msgid: str, plural: str | None = None) -> str:
    with translation.override("hi"):
        if plural is not None:
            return (
                translation.npgettext(context, msgid, plural, 1)
                if context
                else translation.ngettext(msgid, plural, 1)
            )
        return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


def _translated(context: str | None, msgid: str, plural: str | None = None) -> bool:
    return msgid.strip() in SAME_IN_HINDI or _hindi(context, msgid, plural) != msgid


def test_covered_entries_exist():
    for entry in COVERED + NOT_YET:
        assert (TEMPLATES_DIR / entry).exists(), entry


def test_every_page_template_is_covered_or_listed_as_not_yet():
    """A new template is translated from the start, or listed as left to do."""
    covered, not_yet = set(page_templates(COVERED)), set(page_templates(NOT_YET))
    assert covered.isdisjoint(not_yet), sorted(covered & not_yet)
    every = set(page_templates(["./"]))
    assert every, "no templates found"
    assert sorted(every - covered - not_yet) == []


@pytest.mark.parametrize("name", covered_templates())
def test_covered_template_has_no_untranslated_text(name):
    assert untranslated_strings(name) == [], (
        f"{name}: wrap these in {{% translate %}} or {{% blocktranslate %}}"
    )


@pytest.mark.parametrize("name", covered_templates())
def test_covered_template_messages_are_in_the_hindi_catalogue(name):
    missing = [
        msgid
        for context, msgid, plural in template_messages(name)
        if not _translated(context, msgid, plural)
    ]
    assert missing == [], f"{name}: add these to a locale/<part>/hi/LC_MESSAGES/django.po"


LAZY_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "ngettext",
    "ngettext_lazy",
    # Marked for the catalogue, translated where a page shows it ({% translate value %}).
    "gettext_noop",
}


def python_messages(package: str) -> list[tuple[str, str | None, str, str | None]]:
    """(where, context, msgid, plural) of every gettext call with literal arguments."""
    found = []
    root = settings.BASE_DIR / package
    for path in [root] if root.suffix == ".py" else sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for call in ast.walk(ast.parse(path.read_text())):
            if not isinstance(call, ast.Call):
                continue
            name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
            if name not in LAZY_CALLS:
                continue
            args = [
                a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                for a in call.args
            ]
            where = f"{path.relative_to(settings.BASE_DIR)}:{call.lineno}"
            if name.startswith("p") and len(args) >= 2 and args[0] and args[1]:
                found.append((where, args[0], args[1], None))
            elif name.startswith("n") and len(args) >= 2 and args[0] and args[1]:
                found.append((where, None, args[0], args[1]))
            elif not name.startswith(("p", "n")) and args and args[0]:
                found.append((where, None, args[0], None))
    return found


@pytest.mark.parametrize("package", COVERED_PYTHON)
def test_python_messages_are_in_the_hindi_catalogue(package):
    missing = [
        f"{where}: {msgid!r}"
        for where, context, msgid, plural in python_messages(package)
        if not _translated(context, msgid, plural)
    ]
    assert missing == []


def test_navigation_and_panel_titles_are_in_the_hindi_catalogue():
    labels = {n.label for n in ui._NAV} | {p.title for p in ui._PANELS}
    assert labels, "no navigation registered"
    assert sorted(label for label in labels if not _translated(None, label)) == []


@pytest.mark.parametrize("app_label", COVERED_CHOICES)
def test_choice_labels_are_in_the_hindi_catalogue(app_label):
    missing = set()
    for model in apps.get_app_config(app_label).get_models():
        for field in model._meta.get_fields():
            for _, label in getattr(field, "flatchoices", None) or []:
                if not _translated(None, str(label)):
                    missing.add(f"{model.__name__}.{field.name}: {label}")
    assert sorted(missing) == []


def test_the_scanner_finds_untranslated_text(tmp_path, monkeypatch):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}{# a comment #}<p title="Hover text">{% translate "Fine" %} {{ value }}</p>'
        "{% blocktranslate %}Fine too {{ n }}{% endblocktranslate %}"
        '<span lang="en">Ministry</span><input type="submit" value="Send"><p>Rs {{ x }}/kg</p>'
        '<div lang="{{ LANGUAGE_CODE }}"><h2>Under the page language</h2></div>'
        '<h1>Left in English</h1>{{ y|default:"never" }}{{ z|date:"j M Y" }}'
    )
    monkeypatch.setattr(sys.modules[__name__], "TEMPLATES_DIR", tmp_path)
    assert untranslated_strings("page.html") == [
        "filter: 'never'",
        "p[title]: 'Hover text'",
        "input[value]: 'Send'",
        "text: 'Under the page language'",
        "text: 'Left in English'",
    ]


def test_rule_set_parameters_are_in_the_hindi_catalogue():
    """The rule-set pages show the parameters by their model verbose names, translated there."""
    from repm_portal.selectors import parameter_fields

    names = [str(f.verbose_name) for f in parameter_fields()]
    assert sorted(n for n in names if not _translated(None, n)) == []


HINDI_PAGES = [
    ("dashboard", {}),
    ("rule_set_list", {}),
    ("rule_set_detail", {"version": 1}),
    ("rule_set_compare", {}),
    ("rule_set_amend", {}),
    ("audit_list", {}),
    ("firm_list", {}),
    ("consortium_list", {}),
    ("user_list", {}),
]


@pytest.mark.django_db
def test_core_pages_render_in_hindi(client, users):
    assert client.login(username=users["admin"].username, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    for name, kwargs in HINDI_PAGES:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
        assert _html_lang(response) == "hi", name
        html = response.content.decode()
        assert HINDI.search(html.split("<main", 1)[1]), f"{name}: no Hindi in the page's body"
        # Indian grouping survives in Hindi (Rs 72,80,00,00,000.00), never 7,280,000,000.00.
        assert not re.search(r"\d{1,3}(?:,\d{3}){2,}\.\d{2}", html), name
        if name == "rule_set_detail":
            assert re.search(r"Rs \d+,\d\d,\d\d,\d{3}\.\d\d", html), "no Indian grouping"
    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    for name in ("login", "register"):
        response = client.get(reverse(name))
        assert _html_lang(response) == "hi" and HINDI.search(response.content.decode()), name


@pytest.mark.django_db
def test_the_page_not_found_speaks_the_readers_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert _html_lang(response) == "hi"
    assert "पृष्ठ नहीं मिला" in response.content.decode()


def test_the_server_error_page_speaks_the_readers_language():
    # Rendered as Django's server_error view does: no request, no context, no database.
    from django.template import loader

    with translation.override("hi"):
        html = loader.get_template("500.html").render()
    assert '<html lang="hi">' in html
    assert "कुछ गड़बड़ हो गई" in html
    with translation.override("en"):
        assert '<html lang="en">' in loader.get_template("500.html").render()
