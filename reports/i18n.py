"""Labels and number formats of the reports in German (default), Dutch and English.

Indicator names and texts come from the indicator catalogue (columns `name_<lang>`, and
`definition`, `unit`, `caveats`, `reading_aid` in English, `<column>_de` / `<column>_nl` in German
and Dutch); this module only holds the report's own wording.
"""

from __future__ import annotations

import math

from reports.phrases import METHODS, PHRASES, SOURCES

LANGUAGES = ("de", "nl", "en")
DEFAULT_LANGUAGE = "de"
SUPPRESSED = "*"  # how the sources mark suppressed cells; shown unchanged
MISSING = "–"  # no value (not delivered, not applicable)

# Thousands and decimal separators per language (de 1.234,5 / nl 1.234,5 / en 1,234.5).
_SEPARATORS = {"de": (".", ","), "nl": (".", ","), "en": (",", ".")}

LABELS: dict[str, dict[str, str]] = {
    "title": {
        "de": "Quartalsbericht Zuwanderung im Städtevergleich",
        "nl": "Kwartaalrapport migratie: stedenvergelijking",
        "en": "Quarterly report on migration: intercity comparison",
    },
    "profile_title": {"de": "Stadtprofil", "nl": "Stadsprofiel", "en": "City profile"},
    "alliance": {"de": "Verbund", "nl": "Samenwerkingsverband", "en": "Alliance"},
    "quarter": {"de": "Quartal", "nl": "Kwartaal", "en": "Quarter"},
    "synthetic_banner": {
        "de": "SYNTHETISCHE DATEN – dieser Bericht wurde aus der Demo-Welt erzeugt. Keine Zahl beschreibt eine reale Stadt.",
        "nl": "SYNTHETISCHE GEGEVENS – dit rapport is gemaakt met de demowereld. Geen enkel getal beschrijft een echte stad.",
        "en": "SYNTHETIC DATA – this report was built from the demo world. No figure describes a real city.",
    },
    "synthetic_footer": {
        "de": "Synthetische Daten (Demo-Welt)",
        "nl": "Synthetische gegevens (demowereld)",
        "en": "Synthetic data (demo world)",
    },
    "footer": {"de": "Seite", "nl": "Pagina", "en": "Page"},
    "generated": {"de": "Erstellt am", "nl": "Gemaakt op", "en": "Generated on"},
    "source_register": {
        "de": "Quelle: Melderegister der Städte (Basis: Register)",
        "nl": "Bron: BRP/registers van de gemeenten (basis: register)",
        "en": "Source: municipal population registers (basis: register)",
    },
    "source_official": {
        "de": "Quelle: amtliche Statistik (Basis: amtlich)",
        "nl": "Bron: officiële statistiek (basis: officieel)",
        "en": "Source: official statistics (basis: official)",
    },
    "basis": {"de": "Basis", "nl": "Basis", "en": "Basis"},
    "basis_register": {"de": "Register", "nl": "register", "en": "register"},
    "basis_official": {"de": "amtlich", "nl": "officieel", "en": "official"},
    # Section headings
    "sec_summary": {"de": "Zusammenfassung", "nl": "Samenvatting", "en": "Summary"},
    "sec_flows": {
        "de": "Zuzüge, Fortzüge, Saldo und Fluktuation",
        "nl": "Vestiging, vertrek, saldo en verloop",
        "en": "Inflows, outflows, net migration and fluctuation",
    },
    "sec_dwell": {"de": "Verweildauer", "nl": "Verblijfsduur", "en": "Dwell time"},
    "sec_concentration": {
        "de": "Räumliche Konzentration",
        "nl": "Ruimtelijke concentratie",
        "en": "Spatial concentration",
    },
    "sec_services": {
        "de": "Schule, SGB II und Wohnen",
        "nl": "Onderwijs, uitkeringen en wonen",
        "en": "Schools, SGB II and housing",
    },
    "sec_dunkelziffer": {
        "de": "Dunkelziffer (nicht gemeldete Bevölkerung)",
        "nl": "Niet-geregistreerde bevolking (schatting)",
        "en": "Unregistered population (estimates)",
    },
    "sec_official": {
        "de": "Register und amtliche Statistik",
        "nl": "Register en officiële statistiek",
        "en": "Register and official statistics",
    },
    "sec_quality": {"de": "Datenqualität", "nl": "Datakwaliteit", "en": "Data quality"},
    "sec_methods": {"de": "Methoden und Glossar", "nl": "Methoden en begrippen", "en": "Methods and glossary"},
    # Column headers
    "city": {"de": "Stadt", "nl": "Stad", "en": "City"},
    "group": {"de": "Gruppe", "nl": "Groep", "en": "Group"},
    "indicator": {"de": "Indikator", "nl": "Indicator", "en": "Indicator"},
    "value": {"de": "Wert", "nl": "Waarde", "en": "Value"},
    "change": {
        "de": "Veränderung zum Vorquartal",
        "nl": "Verandering t.o.v. vorig kwartaal",
        "en": "Change on previous quarter",
    },
    "numerator": {"de": "Zähler", "nl": "Teller", "en": "Numerator"},
    "denominator": {"de": "Nenner", "nl": "Noemer", "en": "Denominator"},
    "interval": {"de": "95-%-Intervall", "nl": "95%-interval", "en": "95 % interval"},
    "rank": {"de": "Rang", "nl": "Rang", "en": "Rank"},
    "flags": {"de": "Hinweise", "nl": "Opmerkingen", "en": "Notes"},
    "period": {"de": "Zeitraum", "nl": "Periode", "en": "Period"},
    "method": {"de": "Methode", "nl": "Methode", "en": "Method"},
    "estimate": {"de": "Schätzung", "nl": "Schatting", "en": "Estimate"},
    "assumptions": {"de": "Annahmen", "nl": "Aannames", "en": "Assumptions"},
    "register_value": {"de": "Register", "nl": "Register", "en": "Register"},
    "official_value": {"de": "Amtlich", "nl": "Officieel", "en": "Official"},
    "difference": {"de": "Differenz", "nl": "Verschil", "en": "Difference"},
    "difference_pct": {
        "de": "Register zu amtlich",
        "nl": "Register t.o.v. officieel",
        "en": "Register vs official",
    },
    "definition": {"de": "Definition", "nl": "Definitie", "en": "Definition"},
    "unit": {"de": "Einheit", "nl": "Eenheid", "en": "Unit"},
    "caveats": {"de": "Einschränkungen", "nl": "Kanttekeningen", "en": "Caveats"},
    "reading_aid": {"de": "Lesehilfe", "nl": "Leeswijzer", "en": "Reading aid"},
    "unit_count": {"de": "Anzahl (Fälle)", "nl": "aantal (gevallen)", "en": "number (cases)"},
    "unit_persons": {"de": "Personen", "nl": "personen", "en": "persons"},
    "unit_index": {"de": "Index (0–1)", "nl": "index (0–1)", "en": "index (0–1)"},
    "years": {"de": "Jahre", "nl": "jaar", "en": "years"},
    "months": {"de": "Monate seit Zuzug", "nl": "Maanden sinds vestiging", "en": "Months since arrival"},
    "retention": {"de": "Anteil noch gemeldet", "nl": "Aandeel nog ingeschreven", "en": "Share still registered"},
    "share_pct": {"de": "Anteil in %", "nl": "Aandeel in %", "en": "Share in %"},
    "per_1000": {"de": "je 1.000 Einwohner/-innen", "nl": "per 1.000 inwoners", "en": "per 1,000 population"},
    # Quality
    "deliveries": {"de": "Lieferungen", "nl": "Leveringen", "en": "Deliveries"},
    "checks": {"de": "Qualitätsprüfungen", "nl": "Kwaliteitscontroles", "en": "Quality checks"},
    "received": {"de": "erhalten", "nl": "ontvangen", "en": "received"},
    "late": {"de": "verspätet", "nl": "te laat", "en": "late"},
    "corrected": {"de": "korrigiert (_vN)", "nl": "gecorrigeerd (_vN)", "en": "corrected (_vN)"},
    "quarantined": {"de": "in Quarantäne", "nl": "in quarantaine", "en": "quarantined"},
    "checks_passed": {"de": "Prüfungen bestanden", "nl": "controles geslaagd", "en": "checks passed"},
    "checks_failed": {"de": "Prüfungen fehlgeschlagen", "nl": "controles mislukt", "en": "checks failed"},
    "checks_error": {"de": "Prüfungen nicht gelaufen", "nl": "controles niet uitgevoerd", "en": "checks not run"},
    "revisions": {
        "de": "Revisionen seit dem letzten Bericht",
        "nl": "Revisies sinds het vorige rapport",
        "en": "Revisions since the last report",
    },
    "blocked": {
        "de": "Gesperrte bzw. fehlende Städte",
        "nl": "Geblokkeerde of ontbrekende steden",
        "en": "Blocked or missing cities",
    },
    "reason": {"de": "Grund", "nl": "Reden", "en": "Reason"},
    "gate_decisions": {
        "de": "Entscheidungen über gesperrte Lieferungen",
        "nl": "Besluiten over geblokkeerde leveringen",
        "en": "Decisions on blocked deliveries",
    },
    "delivery": {"de": "Lieferung", "nl": "Levering", "en": "Delivery"},
    "decision": {"de": "Entscheidung", "nl": "Besluit", "en": "Decision"},
    "decided_by": {"de": "durch", "nl": "door", "en": "by"},
    "decided_at": {"de": "am", "nl": "op", "en": "on"},
    "released": {"de": "freigegeben", "nl": "vrijgegeven", "en": "released"},
    "rejected": {"de": "endgültig abgelehnt", "nl": "definitief afgewezen", "en": "rejected for good"},
    "no_data": {
        "de": "Für diesen Abschnitt liegen im Warehouse noch keine Daten vor.",
        "nl": "Voor deze paragraaf zijn in het warehouse nog geen gegevens beschikbaar.",
        "en": "The warehouse holds no data for this section yet.",
    },
    "none": {"de": "keine", "nl": "geen", "en": "none"},
    # Flags
    "flag_suppressed": {
        "de": "* gesperrt (Geheimhaltung)",
        "nl": "* geblokkeerd (geheimhouding)",
        "en": "* suppressed (disclosure control)",
    },
    "flag_provisional": {"de": "vorläufig", "nl": "voorlopig", "en": "provisional"},
    "flag_break": {"de": "Zeitreihenbruch", "nl": "trendbreuk", "en": "series break"},
    "flag_not_comparable": {"de": "nicht vergleichbar", "nl": "niet vergelijkbaar", "en": "not comparable"},
    "legend": {"de": "Zeichen", "nl": "Tekens", "en": "Symbols"},
    "legend_text": {
        "de": "* gesperrt (Geheimhaltung, Fallzahl 1 oder 2 bzw. rückrechenbar); – kein Wert; "
        "v vorläufig; b Zeitreihenbruch; n nicht vergleichbar; g durch Qualitätsprüfung zurückgehalten.",
        "nl": "* geblokkeerd (geheimhouding, aantal 1 of 2 of terug te rekenen); – geen waarde; "
        "v voorlopig; b trendbreuk; n niet vergelijkbaar; g tegengehouden door kwaliteitscontrole.",
        "en": "* suppressed (disclosure control, count of 1 or 2 or derivable); – no value; "
        "v provisional; b series break; n not comparable; g withheld by a quality check.",
    },
    "not_summed": {
        "de": "Gerundete oder gesperrte Werte werden nicht zu Summen zusammengezählt.",
        "nl": "Afgeronde of geblokkeerde waarden worden niet opgeteld.",
        "en": "Rounded or suppressed values are not added up into totals.",
    },
    "no_sgb2": {
        "de": "{cities}: keine SGB-II-Daten ({why}; die Lücke wird nicht aufgefüllt).",
        "nl": "{cities}: geen SGB II-gegevens ({why}; het gat wordt niet opgevuld).",
        "en": "{cities}: no SGB II data ({why}; the gap is not filled).",
    },
    # why a city of that country has no SGB II data (no_sgb2_why_<country>, else no_sgb2_why)
    "no_sgb2_why": {"de": "nicht geliefert", "nl": "niet geleverd", "en": "not delivered"},
    "no_sgb2_why_NL": {
        "de": "in den Niederlanden gilt die Participatiewet",
        "nl": "in Nederland geldt de Participatiewet",
        "en": "the Netherlands have the Participatiewet",
    },
    "registration_rules": {
        "de": "Meldepflicht: in Deutschland binnen zwei Wochen nach Einzug; in den Niederlanden bei "
        "erwartetem Aufenthalt von mindestens vier Monaten im nächsten Halbjahr.",
        "nl": "Inschrijving: in Duitsland binnen twee weken na verhuizing; in Nederland bij een verwacht "
        "verblijf van ten minste vier maanden in het komende halfjaar.",
        "en": "Registration: in Germany within two weeks of moving in; in the Netherlands when expecting "
        "to stay at least four months within the next half-year.",
    },
    "dz_can": {
        "de": "Die Schätzungen geben eine Größenordnung der nicht gemeldeten Bevölkerung mit Unsicherheitsbereich an.",
        "nl": "De schattingen geven een orde van grootte van de niet-geregistreerde bevolking met een onzekerheidsmarge.",
        "en": "The estimates give an order of magnitude of the unregistered population with an uncertainty range.",
    },
    "dz_cannot": {
        "de": "Sie zählen keine Personen, identifizieren niemanden und gelten nur, solange die genannten Annahmen "
        "(z. B. unabhängige Erfassung in den Quellen) zutreffen.",
        "nl": "Ze tellen geen personen, identificeren niemand en gelden alleen zolang de genoemde aannames "
        "(bijv. onafhankelijke registratie in de bronnen) kloppen.",
        "en": "They do not count persons, identify nobody and hold only as long as the stated assumptions "
        "(e.g. independent capture in the sources) hold.",
    },
    "pp": {"de": "Prozentpunkte", "nl": "procentpunt", "en": "percentage points"},
    "movement_up": {"de": "stieg", "nl": "steeg", "en": "rose"},
    "movement_down": {"de": "sank", "nl": "daalde", "en": "fell"},
    "movement_sentence": {
        "de": "{city}: {indicator} ({group}) {verb} um {delta} auf {value}.",
        "nl": "{city}: {indicator} ({group}) {verb} met {delta} tot {value}.",
        "en": "{city}: {indicator} ({group}) {verb} by {delta} to {value}.",
    },
    "no_movements": {
        "de": "Keine auffälligen Veränderungen.",
        "nl": "Geen opvallende veranderingen.",
        "en": "No notable movements.",
    },
    "notable": {"de": "Auffälligste Veränderungen", "nl": "Opvallendste veranderingen", "en": "Most notable movements"},
    "dz_withheld": {
        "de": "{n} weitere Schätzungen sind geheim gehalten (Fallzahl 1 oder 2 bzw. rückrechenbar).",
        "nl": "{n} andere schattingen zijn geheimgehouden (aantal 1 of 2 of terug te rekenen).",
        "en": "{n} further estimates are withheld (disclosure control).",
    },
    "dz_stratum": {"de": "Schicht", "nl": "Stratum", "en": "Stratum"},
    "reference_date": {"de": "Stichtag", "nl": "peildatum", "en": "reference date"},
    "registered": {"de": "Gemeldet", "nl": "Ingeschreven", "en": "Registered"},
    "recommended": {"de": "empfohlene Methode", "nl": "aanbevolen methode", "en": "recommended method"},
    "arrival_cohort": {"de": "Zuzugsjahrgang", "nl": "vestigingscohort", "en": "arrival cohort"},
    "no_overlap": {
        "de": "Keine Jahre, für die beide Grundlagen vorliegen",
        "nl": "Geen jaren waarvoor beide bronnen bestaan",
        "en": "No year for which both bases exist",
    },
    "flow_in": {"de": "Zuzüge", "nl": "Vestigingen", "en": "Inflows"},
    "flow_out": {"de": "Fortzüge", "nl": "Vertrekken", "en": "Outflows"},
    "flow_in_abroad": {
        "de": "Zuzüge aus dem Ausland",
        "nl": "Vestigingen uit het buitenland",
        "en": "Inflows from abroad",
    },
    "flow_out_abroad": {"de": "Fortzüge ins Ausland", "nl": "Vertrekken naar het buitenland", "en": "Outflows abroad"},
    "target_groups": {
        "de": "Gemeldete Zielgruppen",
        "nl": "Ingeschreven doelgroepen",
        "en": "Registered target groups",
    },
}

GROUP_LABELS: dict[str, dict[str, str]] = {
    "EU2": {"de": "EU-2 (Bulgarien, Rumänien)", "nl": "EU-2 (Bulgarije, Roemenië)", "en": "EU-2 (Bulgaria, Romania)"},
    "ASYL8": {"de": "Asylherkunftsländer", "nl": "Asiellanden", "en": "Asylum countries"},
    "AUSL": {"de": "Ausländer/-innen insgesamt", "nl": "Buitenlanders totaal", "en": "All foreigners"},
    "DE": {"de": "Deutsche", "nl": "Duitsers", "en": "Germans"},
    "NL": {"de": "Niederländer/-innen", "nl": "Nederlanders", "en": "Dutch nationals"},
    "EU_SONST": {"de": "übrige EU", "nl": "overige EU", "en": "other EU"},
    "DRITT_SONST": {"de": "übrige Drittstaaten", "nl": "overige derde landen", "en": "other third countries"},
    "INSGESAMT": {"de": "insgesamt", "nl": "totaal", "en": "total"},
    "AUSLAND": {"de": "Ausland", "nl": "buitenland", "en": "abroad"},
    "INLAND": {"de": "Inland", "nl": "binnenland", "en": "domestic"},
    "UNBEKANNT": {"de": "unbekannt", "nl": "onbekend", "en": "unknown"},
}


GROUP_SHORT: dict[str, dict[str, str]] = {
    "EU2": {"de": "EU-2", "nl": "EU-2", "en": "EU-2"},
    "ASYL8": {"de": "Asyl-8", "nl": "Asiel-8", "en": "Asylum-8"},
    "AUSL": {"de": "Ausländer", "nl": "Buitenlanders", "en": "Foreigners"},
}


LABELS.update(PHRASES)


def method_label(method: str, lang: str) -> str:
    """A method's name in `lang`; an unknown method keeps its code (it is an identifier)."""
    return METHODS.get(method, {}).get("name", {}).get(check_language(lang)) or method


def method_assumptions(method: str, lang: str) -> str:
    """A method's assumptions in `lang`; for a method without translation the pointer to its description
    (never the English text of the estimation layer)."""
    text = METHODS.get(method, {}).get("assumptions", {}).get(check_language(lang))
    return text or t("assumptions_unknown", lang)


def source_name(code: str, lang: str) -> str:
    """A data source (catalogue `source` code) in `lang`; an unknown code stays as it is."""
    return SOURCES.get(code.strip(), {}).get(check_language(lang)) or code.strip()


def source_names(codes: list[str], lang: str) -> str:
    """Several sources as one phrase; the register's events and stock as one source."""
    codes = [c.strip() for c in codes if c and c.strip()]
    if {"meldewesen", "bestand"} <= set(codes):
        i = min(codes.index("meldewesen"), codes.index("bestand"))
        codes = [c for c in codes if c not in ("meldewesen", "bestand")]
        codes.insert(i, "register")
    names = [source_name(c, lang) for c in codes]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {t('and', lang)} " + names[-1]


def group_short(group: str, lang: str) -> str:
    """Short group name for narrow table headers (the long one is in the legend/caption)."""
    return GROUP_SHORT.get(group, {}).get(lang) or group_label(group, lang)


def t(key: str, lang: str) -> str:
    """The report's wording for `key` in `lang` (KeyError for an unknown key: no silent gaps)."""
    check_language(lang)
    return LABELS[key][lang]


def no_sgb2_note(cities: list[str], country: str, lang: str) -> str:
    """'Enschede: no SGB II data (the Netherlands have the Participatiewet; ...)' for cities of one country."""
    why = LABELS.get(f"no_sgb2_why_{country}", LABELS["no_sgb2_why"])[check_language(lang)]
    return t("no_sgb2", lang).format(cities=", ".join(cities), why=why)


def group_label(group: str | None, lang: str) -> str:
    if group is None:
        return MISSING
    return GROUP_LABELS.get(group, {}).get(lang, group)


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    return lang


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _group_thousands(digits: str, sep: str) -> str:
    parts = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return sep.join(parts)


def fmt_number(value, lang: str, decimals: int = 0, *, signed: bool = False) -> str:
    """Format a number with the language's separators: de/nl 1.234,5, en 1,234.5."""
    check_language(lang)
    if _is_missing(value):
        return MISSING
    thousands, decimal = _SEPARATORS[lang]
    text = f"{abs(float(value)):.{decimals}f}"
    whole, _, frac = text.partition(".")
    out = _group_thousands(whole, thousands) + (decimal + frac if frac else "")
    negative = float(value) < 0 and float(out.replace(thousands, "").replace(decimal, ".")) != 0
    if negative:
        return "−" + out
    return ("+" + out) if signed and float(value) > 0 else out


def fmt_count(value, lang: str, *, suppressed: bool = False, signed: bool = False) -> str:
    """A count as the source shows it: suppressed cells as `*`, never as a number."""
    if suppressed:
        return SUPPRESSED
    return fmt_number(value, lang, 0, signed=signed)


def fmt_pct(value, lang: str, decimals: int = 1) -> str:
    """A percentage (value already in percent); always with decimals and a % sign."""
    if _is_missing(value):
        return MISSING
    return fmt_number(value, lang, decimals) + " %"


def fmt_rank(rank, n: int | None, lang: str) -> str:
    """A rank as `k/n` so that it is never mistaken for a small count."""
    if _is_missing(rank):
        return MISSING
    return f"{int(rank)}/{n}" if n else f"{int(rank)}."
