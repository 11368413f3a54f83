"""Pools for the invented part of the field: driver names, hometowns, teams, series, circuits.

Names are combined at random from these pools with a seeded `random.Random`, so they are
made up; surnames of the people named in the sample's press release (and of a few real
Carrera Cup regulars) are deliberately not in the pools.
"""

from __future__ import annotations

import random

from .model import Circuit, Driver

FIRST_NAMES = [
    "Aiden", "Alma", "Anders", "Ansel", "Arlo", "Astrid", "Beckett", "Bram", "Cael", "Calla",
    "Casimir", "Corbin", "Dario", "Dashiell", "Delphine", "Desmond", "Elio", "Ember", "Evander",
    "Fennimore", "Flint", "Garrick", "Greer", "Hale", "Idris", "Imogen", "Ines", "Jarrah",
    "Joaquin", "Jules", "Kasimir", "Keir", "Lachlan", "Leander", "Linnea", "Lisandro", "Lorcan",
    "Mabel", "Magnus", "Marlowe", "Matthias", "Merritt", "Nico", "Niamh", "Odell", "Orin",
    "Oskar", "Pascal", "Peregrine", "Quill", "Rafferty", "Remy", "Rhys", "Rowan", "Sacha",
    "Silas", "Soren", "Tamsin", "Teodor", "Thane", "Tobiah", "Ulric", "Valentin", "Wendell",
    "Wren", "Xavi", "Yannick", "Zane", "Zoltan", "Ambrose", "Bastian", "Colm", "Dmitri", "Emrys",
]

SURNAMES = [
    "Abernathy", "Achterberg", "Aldana", "Ashdown", "Bairstow", "Balfour", "Bellweather",
    "Birkholm", "Blackwood", "Bramley", "Brightwater", "Calloway", "Carrow", "Castellane",
    "Claymore", "Corrigan", "Crestfield", "Dalgleish", "Danforth", "Delacroix-Hale", "Dunmore",
    "Eastbrook", "Ellingsen", "Esterhazy", "Fairbairn", "Falkenrath", "Farrington", "Fenwick",
    "Fitzalan", "Galloway", "Garroway", "Gellert", "Glenbrook", "Greystoke", "Halvorsen",
    "Hargreave", "Hartwell", "Hawksworth", "Heathcote", "Holloway", "Ibarrola", "Ingersoll",
    "Jaramillo", "Kavanagh", "Kettering", "Kilbride", "Kingsolver", "Lachance", "Langstroth",
    "Larkspur", "Lindqvist", "Lockhart", "Lowenthal", "Macallister", "Marchetti", "Marlborough",
    "Mayfield", "Merriweather", "Montclair", "Moorcroft", "Nakashima", "Netherby", "Northcott",
    "Oakhurst", "Okonkwo", "Ormsby", "Osterberg", "Pemberton", "Penhaligon", "Quarrington",
    "Radcliffe", "Ravensworth", "Redgrave", "Rosenquist", "Rutherford", "Saltonstall",
    "Sandoval", "Seabright", "Selwyn", "Sheringham", "Silverton", "Stanhope", "Stormont",
    "Strandberg", "Sutherland", "Tallis", "Thackeray", "Thornbury", "Tremaine", "Trevelyan",
    "Underhill", "Valcourt", "Vanterpool", "Vasquez-Ortiz", "Wainwright", "Waverley",
    "Westbrook", "Whitcombe", "Winterbourne", "Wolcott", "Yardley", "Ysselstein", "Zabriskie",
    "Zellweger-Pike", "Ashgrove", "Bellamy-Rhodes", "Cheswick", "Dunstable", "Elmhurst",
    "Foxworth", "Grantham", "Holbrook", "Ivesdale", "Juniper", "Kestrel", "Lindenmeyer",
]

HOMETOWNS = [
    ("Boulder, CO", "USA"), ("Asheville, NC", "USA"), ("Bend, OR", "USA"), ("Naples, FL", "USA"),
    ("Scottsdale, AZ", "USA"), ("Greenville, SC", "USA"), ("Lexington, KY", "USA"),
    ("Madison, WI", "USA"), ("Savannah, GA", "USA"), ("Boise, ID", "USA"), ("Reno, NV", "USA"),
    ("Austin, TX", "USA"), ("Charlotte, NC", "USA"), ("Tampa, FL", "USA"), ("Denver, CO", "USA"),
    ("San Diego, CA", "USA"), ("Portland, ME", "USA"), ("Omaha, NE", "USA"),
    ("Kelowna, BC", "CAN"), ("Halifax, NS", "CAN"), ("Calgary, AB", "CAN"), ("Quebec City, QC", "CAN"),
    ("Guadalajara, Mexico", "MEX"), ("Monterrey, Mexico", "MEX"), ("Porto, Portugal", "PRT"),
    ("Ghent, Belgium", "BEL"), ("Aarhus, Denmark", "DNK"), ("Bergen, Norway", "NOR"),
    ("Cork, Ireland", "IRL"), ("Perth, Australia", "AUS"),
]

TEAM_WORDS = [
    "Blue Heron", "Northbound", "Ironbark", "Copperline", "Silver Fox", "Redtail", "Longview",
    "Granite Peak", "Harborlight", "Stillwater", "Windward", "Black Spruce", "Lakeshore",
    "Sunfield", "Tidewater", "Highmark", "Cinder", "Larchmont", "Bluewater", "Summit Ridge",
    "Foxglove", "Westgate", "Driftwood", "Ember Hill", "Kingfisher", "Mile Marker", "Sandpiper",
]
TEAM_SUFFIXES = ["Racing", "Motorsports", "Motorsport", "Autosport", "Competition", "Racing Team"]

SERIES_NAMES = [
    "Great Lakes GT Sprint Cup", "Pacific Coast Cup Series", "Atlantic Endurance Trophy",
    "Prairie Touring Car Cup", "Heartland Sports Car Challenge", "Cascade GT Championship",
    "Bayou Sprint Trophy", "Northern Lights GT4 Series", "Mesa Prototype Cup",
    "Blue Ridge Spec Series", "Gulf Coast Endurance Cup", "Canyon Sprint Challenge",
]

# Real venues (names, lengths) with invented reference laps for a quick GT car.
CIRCUITS = [
    Circuit("Sebring International Raceway", 6019, 125_500, (0.27, 0.43, 0.30), -4, (79.0, 98.0, 58, 1016.0)),
    Circuit("Miami Grand Prix", 5412, 106_000, (0.29, 0.38, 0.33), -4, (84.0, 112.0, 66, 1014.0)),
    Circuit("Canadian Grand Prix", 4361, 94_800, (0.32, 0.34, 0.34), -4, (72.0, 96.0, 60, 1013.0)),
    Circuit("Watkins Glen International", 5472, 109_800, (0.18, 0.52, 0.30), -4, (79.0, 101.0, 66, 1011.0)),
    Circuit("Road America", 6515, 136_000, (0.11, 0.61, 0.28), -5, (82.0, 99.0, 62, 1012.0)),
    Circuit("Circuit of The Americas", 5513, 135_000, (0.30, 0.36, 0.34), -5, (86.0, 108.0, 50, 1012.0)),
    Circuit("Daytona International Speedway", 5729, 108_000, (0.26, 0.40, 0.34), -5, (70.0, 84.0, 55, 1018.0)),
    Circuit("Long Beach", 3167, 80_500, (0.33, 0.33, 0.34), -7, (70.0, 92.0, 62, 1014.0)),
    Circuit("WeatherTech Raceway Laguna Seca", 3602, 84_000, (0.28, 0.40, 0.32), -7, (68.0, 95.0, 55, 1015.0)),
    Circuit("Mid-Ohio Sports Car Course", 3634, 87_000, (0.35, 0.35, 0.30), -4, (75.0, 96.0, 64, 1012.0)),
    Circuit("Canadian Tire Motorsport Park", 3957, 80_000, (0.31, 0.37, 0.32), -4, (74.0, 95.0, 60, 1011.0)),
    Circuit("Lime Rock Park", 2458, 54_800, (0.36, 0.34, 0.30), -4, (76.0, 97.0, 65, 1012.0)),
    Circuit("Virginia International Raceway", 5263, 104_000, (0.31, 0.39, 0.30), -4, (80.0, 104.0, 63, 1010.0)),
    Circuit("Indianapolis Motor Speedway", 3925, 87_500, (0.30, 0.36, 0.34), -4, (78.0, 102.0, 60, 1012.0)),
    Circuit("Michelin Raceway Road Atlanta", 4088, 84_500, (0.26, 0.42, 0.32), -4, (77.0, 99.0, 58, 1013.0)),
    Circuit("Barber Motorsports Park", 3830, 89_000, (0.33, 0.34, 0.33), -5, (80.0, 104.0, 62, 1012.0)),
    Circuit("Sonoma Raceway", 4052, 98_000, (0.32, 0.36, 0.32), -7, (78.0, 101.0, 45, 1013.0)),
]
CIRCUITS_BY_NAME = {c.name: c for c in CIRCUITS}

RATINGS = {"Pro": "Silver", "Pro-Am": "Bronze", "Masters": "Bronze", "Am": "Bronze",
           "GT3": "Silver", "GT4": "Bronze", "Proto": "Gold"}


def invented_driver(rng: random.Random, used: set[str], cls: str = "", junior: bool = False,
                    used_ids: set[str] | None = None) -> Driver:
    """A made-up driver with a name not used yet in `used` (full names) and, when `used_ids` is
    given, an IMSA id not used yet in it: a name and an id each belong to one person, as the
    warehouse's identity rule expects of real files (dim_drivers.yml)."""
    while True:
        name = (rng.choice(FIRST_NAMES), rng.choice(SURNAMES))
        if f"{name[0]} {name[1]}" not in used:
            break
    used.add(f"{name[0]} {name[1]}")
    town, country = rng.choice(HOMETOWNS)
    rating = "Gold" if junior else RATINGS.get(cls, rng.choice(["Silver", "Bronze"]))
    driver_id = str(rng.randint(20000, 89999))
    while used_ids is not None and driver_id in used_ids:
        driver_id = str(rng.randint(20000, 89999))
    if used_ids is not None:
        used_ids.add(driver_id)
    return Driver(
        first=name[0], last=name[1], junior=junior, hometown=town, country=country,
        driver_id=driver_id, plug_id=str(rng.randint(1, 40)), rating=rating,
    )


def invented_team(rng: random.Random, used: set[str]) -> str:
    """A made-up team; its first word(s) are not shared with a team in `used`."""
    words = [w for w in TEAM_WORDS if not any(t.startswith(w + " ") for t in used)] or TEAM_WORDS
    for _ in range(1000):
        name = f"{rng.choice(words)} {rng.choice(TEAM_SUFFIXES)}"
        if name not in used:
            break
    else:  # more teams than words: number them
        name = f"{rng.choice(TEAM_WORDS)} {rng.choice(TEAM_SUFFIXES)} {len(used) + 1}"
    used.add(name)
    return name
