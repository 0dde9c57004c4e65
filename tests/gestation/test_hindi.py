"""The gestation pages in Hindi: headings, milestone labels and the penalty text come from the
incentives catalogue; figures and the firm's own names stay as they are."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from repm_portal.roles import Role


def test_plant_page_in_hindi_and_english(client, people, plant):
    client.force_login(people[Role.OFFICIAL])
    url = reverse("plant_detail", args=[plant.pk])
    english = client.get(url).content.decode()
    assert "<h2>Milestones</h2>" in english
    assert "Land acquired" in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    hindi = client.get(url).content.decode()
    assert '<html lang="hi">' in hindi
    assert "<h2>मील के पत्थर</h2>" in hindi
    assert "भूमि अधिग्रहीत" in hindi  # the milestone kind, a model choice translated at display
    assert "Land acquired" not in hindi
    assert plant.name in hindi


def test_timeline_in_hindi(client, people, plant):
    client.force_login(people[Role.OFFICIAL])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    html = client.get(reverse("gestation_timeline")).content.decode()
    assert "निर्माण अवधि की समय-रेखा" in html
    assert "Gestation timeline" not in html.split("<main", 1)[1]
