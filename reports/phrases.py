"""The report's generated sentences in German, Dutch and English (the short labels are in i18n).

Every sentence the report writes from data comes from here, never from an English text of another
layer: the estimation methods' names and assumptions, the data sources named in chart captions,
why a city is missing or blocked, why there is no chart, the register-vs-official explanation,
and the notes on bounded intervals and small denominators. `tests/reports` scans German and Dutch
renders for English sentences of the code.
"""

from __future__ import annotations

PHRASES: dict[str, dict[str, str]] = {
    # --- cover ------------------------------------------------------------------------------
    "demo_size": {
        "de": "Kleine Demo-Welt: Sie simuliert zusammen {total} gemeldete Personen in {n} Städten (von {low} "
        "in {low_city} bis {high} in {high_city}) – nur einen kleinen Bruchteil der Einwohner echter Städte. "
        "Absolute Zahlen sind deshalb klein, und Raten auf kleinen Nennern schwanken stark.",
        "nl": "Kleine demowereld: ze simuleert samen {total} ingeschreven personen in {n} steden (van {low} "
        "in {low_city} tot {high} in {high_city}) – slechts een klein deel van de inwoners van echte steden. "
        "Absolute aantallen zijn daarom klein en cijfers op kleine noemers schommelen sterk.",
        "en": "A small demo world: it simulates {total} registered persons in {n} cities together (from {low} "
        "in {low_city} to {high} in {high_city}) – only a small fraction of the inhabitants of real cities. "
        "Absolute numbers are therefore small, and rates on small denominators vary strongly.",
    },
    "small_base_legend": {
        "de": "( ) Aussagewert eingeschränkt: Nenner unter {n} Personen.",
        "nl": "( ) beperkte zeggingskracht: noemer onder {n} personen.",
        "en": "( ) limited reliability: denominator below {n} persons.",
    },
    "small_base_chart": {
        "de": "hell: Nenner unter {n} Personen, Aussagewert eingeschränkt",
        "nl": "licht: noemer onder {n} personen, beperkte zeggingskracht",
        "en": "light: denominator below {n} persons, limited reliability",
    },
    # --- missing and blocked cities ---------------------------------------------------------
    "partly_blocked": {
        "de": "Teilweise gesperrte Städte",
        "nl": "Gedeeltelijk geblokkeerde steden",
        "en": "Partly blocked cities",
    },
    "reason_no_data": {
        "de": "keine Daten für {quarter} im Verbund (keine Lieferung bzw. kein Austauschpaket der Stadt)",
        "nl": "geen gegevens voor {quarter} in het samenwerkingsverband (geen levering of uitwisselingspakket)",
        "en": "no data for {quarter} in the alliance layer (no delivery or exchange package from the city)",
    },
    "reason_all_blocked": {
        "de": "alle Angaben für {quarter} durch Qualitätsprüfungen zurückgehalten: {details}",
        "nl": "alle gegevens voor {quarter} tegengehouden door kwaliteitscontroles: {details}",
        "en": "every figure for {quarter} withheld by quality checks: {details}",
    },
    "reason_partly_blocked": {
        "de": "durch Qualitätsprüfungen zurückgehalten: {details}; betroffene Werte sind mit g markiert "
        "und fehlen in den Diagrammen",
        "nl": "tegengehouden door kwaliteitscontroles: {details}; betrokken waarden zijn met g gemarkeerd "
        "en ontbreken in de grafieken",
        "en": "withheld by quality checks: {details}; the values concerned are marked g and left out of the charts",
    },
    "block_detail": {
        "de": "{source} {period} (Prüfung {check} nicht bestanden)",
        "nl": "{source} {period} (controle {check} niet geslaagd)",
        "en": "{source} {period} (check {check} failed)",
    },
    "block_detail_source": {
        "de": "{source} (Qualitätsprüfung nicht bestanden)",
        "nl": "{source} (kwaliteitscontrole niet geslaagd)",
        "en": "{source} (quality check failed)",
    },
    "chart_without": {
        "de": "Ohne {cities}: durch Qualitätsprüfung zurückgehalten.",
        "nl": "Zonder {cities}: tegengehouden door kwaliteitscontrole.",
        "en": "Without {cities}: withheld by a quality check.",
    },
    # --- charts that are not drawn ----------------------------------------------------------
    "no_chart_withheld": {
        "de": "Kein Diagramm: Für {period} ist kein Wert veröffentlicht (gesperrt, zurückgehalten oder nicht "
        "geliefert).",
        "nl": "Geen grafiek: voor {period} is geen waarde gepubliceerd (geblokkeerd, tegengehouden of niet geleverd).",
        "en": "No chart: no value is published for {period} (suppressed, withheld or not delivered).",
    },
    "no_chart_zero": {
        "de": "Kein Diagramm: Alle veröffentlichten Werte für {period} sind 0.",
        "nl": "Geen grafiek: alle gepubliceerde waarden voor {period} zijn 0.",
        "en": "No chart: every published value for {period} is 0.",
    },
    "no_chart_single": {
        "de": "Kein Vergleichsdiagramm: Nur {city} hat für {period} einen veröffentlichten Wert ({value}); die "
        "übrigen Städte sind gesperrt oder ohne Wert.",
        "nl": "Geen vergelijkingsgrafiek: alleen {city} heeft voor {period} een gepubliceerde waarde ({value}); "
        "de andere steden zijn geblokkeerd of zonder waarde.",
        "en": "No comparison chart: only {city} has a published value for {period} ({value}); the other cities "
        "are suppressed or have no value.",
    },
    # --- intervals --------------------------------------------------------------------------
    "interval_bounded": {
        "de": "‡ Schätzung oder Intervall der Methode reichen über den logisch möglichen Bereich hinaus (unter 0 "
        "bzw. über die Zahl der Gemeldeten); gezeigt ist nur der mögliche Teil, eine negative Schätzung als 0. "
        "Die Werte der Methode stehen unverändert in der veröffentlichten Tabelle.",
        "nl": "‡ Schatting of interval van de methode reiken buiten het logisch mogelijke bereik (onder 0 of "
        "boven het aantal ingeschrevenen); alleen het mogelijke deel is getoond, een negatieve schatting als 0. "
        "De waarden van de methode staan ongewijzigd in de gepubliceerde tabel.",
        "en": "‡ The method's estimate or interval reaches beyond what is logically possible (below 0 or above the "
        "number registered); only the possible part is shown, a negative estimate as 0. The method's values are "
        "unchanged in the published table.",
    },
    "with_warnings": {
        "de": "mit Warnhinweis der Methode (z. B. wenige Fälle)",
        "nl": "met waarschuwing van de methode (bijv. weinig gevallen)",
        "en": "with a warning of the method (e.g. few cases)",
    },
    "assumptions_unknown": {
        "de": "Annahmen: siehe die Methodenbeschreibung (estimation/METHODS.md).",
        "nl": "Aannames: zie de methodebeschrijving (estimation/METHODS.md).",
        "en": "Assumptions: see the description of the methods (estimation/METHODS.md).",
    },
    # --- register and official statistics ---------------------------------------------------
    "rvo_both": {
        "de": "Beide Grundlagen liegen vor. Sie unterscheiden sich, weil das Register Meldevorgänge so zählt, wie "
        "die Stadt sie erfasst (eigene Meldefristen, verspätete Meldungen und Abmeldungen von Amts wegen, nach "
        "Meldedatum), während die amtliche Statistik Fälle über die Gemeindegrenze nach Plausibilitätsprüfung "
        "zählt – ohne Umzüge innerhalb der Stadt, Fälle statt Personen. Statuswechsel zwischen Neben- und "
        "Hauptwohnung sind nicht addiert. Die Differenz wird erklärt, nie herausgerechnet.",
        "nl": "Beide bronnen zijn er. Ze verschillen omdat het register inschrijvingen telt zoals de gemeente ze "
        "vastlegt (eigen termijnen, late inschrijvingen en ambtshalve uitschrijvingen, naar datum van "
        "verwerking), terwijl de officiële statistiek gevallen over de gemeentegrens telt na "
        "plausibiliteitscontrole – zonder verhuizingen binnen de stad, gevallen in plaats van personen. "
        "Statuswijzigingen tussen tweede en hoofdverblijf zijn niet opgeteld. Het verschil wordt verklaard, "
        "nooit weggerekend.",
        "en": "Both bases exist. They differ because the register counts registration events as the city records "
        "them (its own deadlines, late and ex-officio entries, dated by registration), while the official "
        "statistics count cases across the municipal boundary after plausibility checks – without moves inside "
        "the city, cases rather than persons. Status changes between secondary and main residence are not "
        "added. The difference is explained, never corrected away.",
    },
    "rvo_synthetic": {
        "de": "In der Demo-Welt sind auch die amtlichen Tabellen synthetisch: Die Demo-Welt hat sie aus denselben "
        "simulierten Meldefällen nach den Regeln der amtlichen Statistik erzeugt, im Format der echten "
        "Veröffentlichungen. Echte amtliche Zahlen stehen nie neben dem synthetischen Register.",
        "nl": "In de demowereld zijn ook de officiële tabellen synthetisch: de demowereld heeft ze uit dezelfde "
        "gesimuleerde inschrijvingen gemaakt volgens de regels van de officiële statistiek, in het formaat van "
        "de echte publicaties. Echte officiële cijfers staan nooit naast het synthetische register.",
        "en": "In the demo world the official tables are synthetic, too: the demo world made them from the same "
        "simulated registrations by the rules of the official statistics, in the format of the real "
        "publications. Real official figures are never set beside the synthetic register.",
    },
    "rvo_latest_year": {
        "de": "Gezeigt ist das letzte Jahr, für das beide Grundlagen vorliegen ({year}); frühere Jahre stehen in "
        "der veröffentlichten Tabelle alliance.fct_register_vs_official.",
        "nl": "Getoond is het laatste jaar waarvoor beide bronnen er zijn ({year}); eerdere jaren staan in de "
        "gepubliceerde tabel alliance.fct_register_vs_official.",
        "en": "Shown is the latest year for which both bases exist ({year}); earlier years are in the published "
        "table alliance.fct_register_vs_official.",
    },
    "rvo_not_comparable": {
        "de": "n: Register und amtlicher Wert liegen mehr als den Faktor {factor} auseinander. Das deutet auf "
        "verschiedene Abgrenzungen (z. B. zählt die niederländische Statistik Abmeldungen von Amts wegen zur "
        "Auswanderung) oder verschiedene Bestände, nicht auf Wanderung; die Differenz wird nicht gezeigt.",
        "nl": "n: register en officiële waarde liggen meer dan een factor {factor} uit elkaar. Dat wijst op "
        "verschillende afbakeningen (de Nederlandse statistiek telt bijv. ambtshalve uitschrijvingen als "
        "emigratie) of verschillende bestanden, niet op migratie; het verschil wordt niet getoond.",
        "en": "n: register and official value lie more than a factor of {factor} apart. That points to different "
        "definitions (e.g. the Dutch statistics count ex-officio removals as emigration) or different "
        "populations, not to migration; the difference is not shown.",
    },
    "version": {"de": "Version", "nl": "Versie", "en": "Version"},
    "source": {"de": "Quelle", "nl": "Bron", "en": "Source"},
    "source_text": {
        "de": "Quelle: {sources} der Städte (Basis: {basis})",
        "nl": "Bron: {sources} van de gemeenten (basis: {basis})",
        "en": "Source: {sources} of the cities (basis: {basis})",
    },
    "source_estimate": {
        "de": "Quelle: Modellschätzung aus {sources} der Städte (Basis: Register)",
        "nl": "Bron: modelschatting uit {sources} van de gemeenten (basis: register)",
        "en": "Source: model estimate from {sources} of the cities (basis: register)",
    },
    "and": {"de": "und", "nl": "en", "en": "and"},
}

# Data sources (the catalogue's `source` codes and the quality gate's sources).
SOURCES: dict[str, dict[str, str]] = {
    "register": {
        "de": "Melderegister (Bewegungen und Bestand)",
        "nl": "basisregistratie personen (mutaties en bestand)",
        "en": "population registers (events and stock)",
    },
    "meldewesen": {
        "de": "Melderegister (Bewegungen)",
        "nl": "basisregistratie personen (mutaties)",
        "en": "population registers (events)",
    },
    "bestand": {
        "de": "Melderegister (Bestand)",
        "nl": "basisregistratie personen (bestand)",
        "en": "population registers (stock)",
    },
    "schule": {"de": "Schulstatistik", "nl": "leerlingentelling", "en": "school census"},
    "sgb2": {
        "de": "SGB-II-Statistik (Jobcenter)",
        "nl": "SGB II-statistiek (Jobcenter)",
        "en": "SGB II statistics (job centres)",
    },
    "beratung": {"de": "Beratungsstellen", "nl": "adviesdiensten", "en": "counselling services"},
    "wohnen": {"de": "Wohnungsaufsicht", "nl": "woningtoezicht", "en": "housing inspection"},
    "gebiete": {"de": "Gebietsgliederung", "nl": "gebiedsindeling", "en": "district boundaries"},
    "official tables": {"de": "amtliche Statistik", "nl": "officiële statistiek", "en": "official statistics"},
}

# Estimation methods (estimation/*.py `method`): a name for the tables and the assumptions.
METHODS: dict[str, dict[str, dict[str, str]]] = {
    "components_school": {
        "name": {"de": "Komponenten (Schule)", "nl": "componenten (school)", "en": "components (school)"},
        "assumptions": {
            "de": "nicht gemeldete Kinder von 7 bis 14 Jahren besuchen die Schule so häufig wie gemeldete "
            "(Unabhängigkeit der Listen); Erwachsene der Gruppe sind so häufig nicht gemeldet wie ihre Kinder",
            "nl": "niet-ingeschreven kinderen van 7 tot en met 14 jaar gaan even vaak naar school als "
            "ingeschreven kinderen (onafhankelijke lijsten); volwassenen van de groep zijn even vaak niet "
            "ingeschreven als hun kinderen",
            "en": "unregistered children aged 7–14 attend school as often as registered ones (list "
            "independence); adults of the group are unregistered as often as its children",
        },
    },
    "dse_register_counselling": {
        "name": {
            "de": "2 Listen: Register × Beratung",
            "nl": "2 lijsten: register × advies",
            "en": "2 lists: register × counselling",
        },
        "assumptions": {
            "de": "geschlossene Population am Stichtag; beide Listen innerhalb der Schicht unabhängig; gleiche "
            "Erfassungswahrscheinlichkeit für alle; fehlerfreie Verknüpfung über das Pseudonym; Register um "
            "Fortgezogene bereinigt, soweit bekannt",
            "nl": "gesloten populatie op de peildatum; beide lijsten binnen het stratum onafhankelijk; voor "
            "iedereen dezelfde vangkans; foutloze koppeling via het pseudoniem; register gecorrigeerd voor "
            "vertrokkenen voor zover bekend",
            "en": "closed population on the reference date; the two lists independent within the stratum; "
            "homogeneous catchability; linkage by pseudonym without error; register corrected for people who "
            "left where known",
        },
    },
    "mse_loglinear": {
        "name": {
            "de": "mehrere Listen (loglinear)",
            "nl": "meerdere lijsten (loglineair)",
            "en": "multiple lists (log-linear)",
        },
        "assumptions": {
            "de": "geschlossene Population am Stichtag; die Abhängigkeit zwischen den Listen erfassen die "
            "Zweifach-Wechselwirkungen des gewählten Modells; keine Dreifach-Wechselwirkung; die nicht "
            "Erfassten verhalten sich so, wie das Modell extrapoliert; fehlerfreie Verknüpfung über das "
            "Pseudonym; strukturelle Nullen richtig angegeben",
            "nl": "gesloten populatie op de peildatum; de afhankelijkheid tussen de lijsten wordt gevangen door "
            "de tweevoudige interacties van het gekozen model; geen drievoudige interactie; de niet-waargenomen "
            "personen gedragen zich zoals het model extrapoleert; foutloze koppeling via het pseudoniem; "
            "structurele nullen juist opgegeven",
            "en": "closed population on the reference date; the dependence between lists is captured by the "
            "two-way interactions of the chosen model; no three-way interaction; the unobserved people behave "
            "as the model extrapolates; linkage by pseudonym without error; structural zeros declared correctly",
        },
    },
    "ratio_school": {
        "name": {"de": "Verhältnis (Schule)", "nl": "verhouding (school)", "en": "ratio (school)"},
        "assumptions": {
            "de": "jedes in der Stadt lebende Kind von 6 bis 14 Jahren besucht eine ihrer Schulen, und kein "
            "Schüler wohnt außerhalb; das Register verfehlt (und überzählt) Erwachsene der Gruppe im selben "
            "Verhältnis wie Kinder",
            "nl": "elk kind van 6 tot en met 14 jaar dat in de stad woont, gaat naar een van haar scholen en "
            "geen leerling woont erbuiten; het register mist (en overtelt) volwassenen van de groep in dezelfde "
            "verhouding als kinderen",
            "en": "every child aged 6–14 living in the city attends one of its schools and no pupil lives outside "
            "it; the register misses (and over-counts) adults of the group in the same proportion as children",
        },
    },
    "lag_projection": {
        "name": {
            "de": "Abmeldeverzug (Projektion)",
            "nl": "uitschrijfvertraging (projectie)",
            "en": "deregistration lag (projection)",
        },
        "assumptions": {
            "de": "der Verzug zwischen Fortzug und Abmeldung verhält sich wie im Referenzzeitraum; wer fortzieht "
            "und innerhalb des längsten beobachteten Verzugs nie abgemeldet wird, bleibt unsichtbar",
            "nl": "de vertraging tussen vertrek en uitschrijving gedraagt zich als in de referentieperiode; wie "
            "vertrekt en binnen de langste waargenomen vertraging nooit wordt uitgeschreven, blijft onzichtbaar",
            "en": "the lag between leaving and deregistration behaves as in the reference window; people who "
            "leave and are never deregistered within the longest observed lag are not seen",
        },
    },
    "school_gone_dwell": {
        "name": {
            "de": "Fortgezogene nach Wohndauer (Schule)",
            "nl": "vertrokkenen naar woonduur (school)",
            "en": "gone by dwell time (school)",
        },
        "assumptions": {
            "de": "ein gemeldetes Kind von 7 bis 14 Jahren, das noch in der Stadt lebt, steht in der "
            "Schulstatistik – bis auf angenommene 1,5 % (±0,75 %) Fehlende; bei gleicher Gruppe und Wohndauer "
            "ist eine gemeldete Person jeden Alters so häufig fortgezogen wie ein gemeldetes Kind",
            "nl": "een ingeschreven kind van 7 tot en met 14 jaar dat nog in de stad woont, staat in de "
            "leerlingentelling – op een aangenomen 1,5 % (±0,75 %) afwezigen na; bij gelijke groep en woonduur "
            "is een ingeschreven persoon van elke leeftijd even vaak vertrokken als een ingeschreven kind",
            "en": "a registered child aged 7–14 who still lives in the city is on the school census list except "
            "an assumed 1.5 % (±0.75 %) absent; given the group and the time since moving in, a registered "
            "person of any age is gone as often as a registered child",
        },
    },
    "school_gone_share": {
        "name": {
            "de": "Anteil Fortgezogener (Schule)",
            "nl": "aandeel vertrokkenen (school)",
            "en": "gone share (school)",
        },
        "assumptions": {
            "de": "ein gemeldetes Kind von 6 bis 14 Jahren, das noch in der Stadt lebt, steht in der "
            "Schulstatistik – bis auf einen kleinen Anteil Fehlender; Kinder ziehen mit ihren Familien fort, "
            "daher gilt der Anteil Fortgezogener der Kinder für jede Altersgruppe der Gruppe",
            "nl": "een ingeschreven kind van 6 tot en met 14 jaar dat nog in de stad woont, staat in de "
            "leerlingentelling – op een klein aandeel afwezigen na; kinderen vertrekken met hun gezin, dus het "
            "aandeel vertrokkenen van de kinderen geldt voor elke leeftijdsgroep van de groep",
            "en": "a registered child aged 6–14 who still lives in the city is on the school census list except "
            "a small absent share; children leave with their families, so the children's gone share holds for "
            "every age band of the group",
        },
    },
    "inspection_ratio": {
        "name": {"de": "Begehungsquote", "nl": "inspectieratio", "en": "inspection ratio"},
        "assumptions": {
            "de": "die begangenen Adressen stehen für alle Problemimmobilien; angetroffene und nicht angetroffene "
            "Personen sind fehlerfrei erfasst",
            "nl": "de geïnspecteerde adressen staan voor alle probleempanden; aangetroffen en niet-aangetroffen "
            "personen zijn foutloos vastgelegd",
            "en": "the inspected addresses stand for all problem properties; persons found and not found are "
            "recorded without error",
        },
    },
}
METHODS["dse_register_school"] = {
    "name": {
        "de": "2 Listen: Register × Schule",
        "nl": "2 lijsten: register × school",
        "en": "2 lists: register × school",
    },
    "assumptions": METHODS["dse_register_counselling"]["assumptions"],
}
