#!/usr/bin/env python3
"""Writes lighthouse.txt: the logbook of an imaginary lighthouse, generated from the word lists
below with a fixed seed. Every sentence pattern and word list here was written for Quill, so the
corpus is ours to ship. Run `python3 corpora/make_lighthouse.py` to regenerate it byte for byte."""

import random

rng = random.Random(1871)

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
WINDS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
SKY = ["clear", "fair", "overcast", "hazy", "low cloud", "broken cloud", "squalls", "drizzle",
       "steady rain", "fog banks", "sleet", "bright intervals"]
SEA = ["calm", "slight", "moderate", "rough", "very rough", "heavy swell", "confused"]
KEEPERS = ["Mr Ashdown", "Mr Pellow", "Mr Tregarthen", "Mrs Vosper", "young Harry Quiller"]
SHIPS = ["the collier Margery Ann", "the schooner Blue Heron", "a Norwegian barque", "the packet Gannet",
         "two fishing luggers", "the steamer Lady Corran", "a brig in ballast", "the revenue cutter Swift",
         "the coaster Kittiwake", "a French chasse-maree", "the pilot boat", "three trawlers"]
HEADINGS = ["standing to the west", "beating up the channel", "running before the wind",
            "hove to off the reef", "making for the harbour", "bound down the coast", "at anchor in the roads"]
CHORES = ["trimmed the wicks", "polished the lens", "cleaned the lantern glass", "wound the clockwork",
          "carried up oil", "scraped salt from the gallery rail", "mended the fog bell rope",
          "whitewashed the tower door", "checked the oil stores", "greased the turning gear",
          "swept the stair", "painted the gallery rail"]
BIRDS = ["gulls", "gannets", "a pair of cormorants", "kittiwakes", "a heron", "starlings",
         "a flight of geese", "terns", "oystercatchers", "a lone puffin"]
THINGS = ["timber", "a cask", "rope", "a broken oar", "kelp", "a ship's hatch", "cork floats",
          "a bottle", "planking", "an empty crate"]
REMARKS = [
    "The light was lit at {light} and burned steady through the night.",
    "Lamp lit at {light}, extinguished at {dawn}.",
    "Visibility {vis} miles at the first watch.",
    "Fog signal sounded from {fog} until {dawn}.",
    "Glass {glass} during the afternoon.",
    "{keeper} {chore}.",
    "{keeper} {chore} and {chore2}.",
    "Sighted {ship} {heading}.",
    "{ship} passed close in at {time}, {heading}.",
    "{birds} on the rocks below the tower.",
    "Found {thing} washed up in the cove.",
    "Supply boat came out at {time} with oil, bread and letters.",
    "No vessels sighted.",
    "Wind backing {wind} by evening.",
    "Wind veering {wind} towards midnight.",
    "Spray over the gallery at high water.",
    "Spoke with {ship} by flags.",
    "Rockets seen to the {wind} at {time}; nothing further observed.",
]
GLASS = ["falling", "rising", "steady", "falling fast", "rising slowly"]


def clock(hour, minute):
    return "%d.%02d" % (hour, minute)


def entry(year, month, day):
    wind = rng.choice(WINDS)
    force = rng.randint(0, 10)
    lines = ["%d %s %d." % (day, MONTHS[month], year),
             "Wind %s, force %d. Sky %s. Sea %s." % (wind, force, rng.choice(SKY), rng.choice(SEA))]
    light = clock(rng.choice([4, 5, 6, 7, 8]), rng.choice([0, 10, 15, 20, 30, 40, 45, 50]))
    dawn = clock(rng.choice([5, 6, 7, 8]), rng.choice([0, 5, 15, 25, 30, 45]))
    for _ in range(rng.randint(2, 6)):
        chore, chore2 = rng.sample(CHORES, 2)
        text = rng.choice(REMARKS).format(
            light=light, dawn=dawn, vis=rng.choice([1, 2, 3, 5, 8, 10, 12, 15]),
            fog=clock(rng.randint(1, 11), rng.choice([0, 15, 30, 45])), glass=rng.choice(GLASS),
            keeper=rng.choice(KEEPERS), chore=chore, chore2=chore2, ship=rng.choice(SHIPS),
            heading=rng.choice(HEADINGS), time=clock(rng.randint(1, 12), rng.choice([0, 10, 20, 30, 40, 50])),
            birds=rng.choice(BIRDS).capitalize(), thing=rng.choice(THINGS), wind=rng.choice(WINDS))
        lines.append(text[0].upper() + text[1:])
    lines.append("Signed, %s." % rng.choice(KEEPERS[:4]))
    return "\n".join(lines) + "\n\n"


def main():
    parts = ["THE LOG OF THE GULL ROCK LIGHT\n\n"]
    year = 1871
    size = len(parts[0])
    while size < 320_000:
        for month in range(12):
            for day in range(1, DAYS[month] + 1):
                text = entry(year, month, day)
                parts.append(text)
                size += len(text)
        year += 1
    with open(__file__.rsplit("/", 1)[0] + "/lighthouse.txt", "w", encoding="utf-8") as f:
        f.write("".join(parts))


if __name__ == "__main__":
    main()
