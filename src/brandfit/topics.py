"""The six topic ids and the written descriptions that tell the models what each topic means.

The ids are fixed across the project and its API. The descriptions are used as extra features
(cosine similarity of a text to each description) so the topic model knows each topic beyond our
own labeled examples, and by the zero-shot baseline.
"""

from __future__ import annotations

from typing import Final, Sequence

from brandfit.errors import InputError, InputTypeError

__all__ = ["TOPICS", "BRAND_TOPICS", "TOPIC_DESCRIPTIONS", "PHRASE_TEMPLATES", "check_topic", "check_templates"]

TOPICS: Final[tuple[str, ...]] = (
    "sports_outdoor",
    "fashion",
    "fitness",
    "beauty",
    "electronics",
    "other",
)
"""All topic ids, in column order of every probability table."""

BRAND_TOPICS: Final[tuple[str, ...]] = TOPICS[:5]
"""The five verticals a brand can target (everything but ``other``)."""

TOPIC_DESCRIPTIONS: Final[dict[str, tuple[str, ...]]] = {
    "sports_outdoor": (
        "sporting goods and outdoor gear",
        "running shoes, trail running and marathon training",
        "cycling, road bikes, mountain biking, bike parts and bike races",
        "hiking, camping, backpacking and climbing gear",
        "rock climbing, bouldering, crags and climbing shoes",
        "skiing, snowboarding, surfing, kayaking and paddling",
        "team sports: football, soccer, basketball, cricket, tennis, badminton",
        "a tent, a rucksack, a bike helmet, hiking boots, a cricket bat, a football",
        "athletes, matches, races, leagues and sports results",
        "sportswear and sports shoes for training and competition",
        "matchday, derby, transfer window, fantasy league, playoffs and the title race",
        "parkrun, 5k and 10k PBs, splits, tempo runs, ultras and trail races",
        "triathlon, open water swimming, golf, fishing, skateboarding and the skatepark",
    ),
    "fashion": (
        "fashion, clothing and outfits",
        "shoes, sneakers, boots, sandals and heels",
        "streetwear, vintage and thrifted clothes",
        "handbags, wallets, jewellery, earrings, necklaces and rings",
        "watches and sunglasses as accessories",
        "outfit of the day, style tips and what I wore",
        "a dress, a jacket, jeans, a shirt, a t-shirt, a kurta, a saree",
        "menswear, womenswear, kidswear, lingerie and ethnic wear",
        "designer brands, fashion week, new collections and wardrobe basics",
        "fit check, try-on haul, drip, capsule wardrobe and styling inspo",
        "sneakerhead culture, sneaker drops, colourways, resale and limited collabs",
        "blazer, trench coat, knitwear, cargo pants, linen sets and tailoring",
    ),
    "fitness": (
        "fitness, workouts and the gym",
        "strength training, weightlifting, dumbbells and home workouts",
        "yoga, pilates, meditation and mobility",
        "nutrition, protein, meal prep, diet and healthy eating",
        "wellness, sleep, recovery and mental health",
        "a yoga mat, resistance bands, a treadmill, an exercise bike, whey protein",
        "supplements, vitamins, creatine and pre-workout",
        "weight loss, calories, macros and body transformation",
        "cardio, HIIT, squats, push-ups and personal training",
        "leg day, deadlift PRs, bench press, hypertrophy, bulking and cutting",
        "calisthenics, pull-ups, muscle-ups, kettlebells, CrossFit WODs and spin class",
        "reformer pilates, vinyasa flow, breathwork, foam rolling, cold plunge and sauna",
    ),
    "beauty": (
        "beauty, makeup and cosmetics",
        "skincare routine, serums, moisturiser, cleanser and sunscreen",
        "haircare, shampoo, hairstyles and hair colour",
        "nails, manicure and nail art",
        "fragrance, perfume and body mist",
        "lipstick, foundation, concealer, mascara, eyeliner, eyeshadow palette",
        "grooming: beard oil, trimmers, face wash",
        "acne, glowing skin, anti-ageing and dermatologist tips",
        "GRWM, makeup dupes, contour, blush, lip gloss and setting spray",
        "retinol, niacinamide, hyaluronic acid, SPF, double cleansing and skin barrier",
        "curly hair routine, hair oiling, blowouts, braids, lash extensions and brow lamination",
    ),
    "electronics": (
        "consumer electronics and gadgets",
        "smartphones, laptops and tablets",
        "headphones, earbuds, soundbars and speakers",
        "cameras, lenses, tripods and drones",
        "televisions, smart TVs, projectors and home theatre",
        "smart home devices, security cameras and smartwatches",
        "gaming consoles, PC hardware, keyboards, mice and monitors",
        "chargers, cables, batteries, USB and bluetooth accessories",
        "tech reviews, unboxings, specs and new device launches",
        "graphics card, GPU, CPU, SSD, RAM upgrade, PC build and benchmarks",
        "smartwatch and smart ring specs, AMOLED screen, battery life, firmware updates",
        "iPhone vs Android, iOS update, chipset, refresh rate and screen protectors",
    ),
    "other": (
        "everyday life, family, friends and feelings",
        "food, cooking, restaurants and recipes",
        "travel, holidays and places to visit",
        "news, politics, history and science",
        "money, jobs, school, law and relationships",
        "movies, books, music, jokes and games",
        "home, kitchen, furniture, appliances and cleaning",
        "pets, babies, toys, cars and tools",
        "questions, advice, stories and things I learned today",
        "celebrity gossip, reality TV, Netflix series, K-pop, concerts and award shows",
        "weddings, birthdays, Eid, Diwali, Christmas, church and prayer",
        "memes, relatable rants, storytime, office life, commute and Monday mood",
    ),
}


PHRASE_TEMPLATES: Final[tuple[str, ...]] = ("{}", "a post about {}", "my {} this week", "{} tips and reviews")
"""How a short phrase (a topic description, a brand's own words) is embedded: the normalised mean of the
embeddings of these framings of it (:func:`brandfit.features.embed_phrases`). A bare phrase ("rock climbing and
bouldering") sits far from how posts are written; its framings as a post move it towards them. Chosen leave-one-source-out (docs/quality.md, "Phrases
framed as posts"): brand sub-topic AP 0.508 -> 0.525 with better AP on all three sources, topic mean
0.803 / 0.729 -> 0.805 / 0.733. ``("{}",)`` is the bare phrase (every model before ``relevance@9``)."""


MAX_TEMPLATES: Final = 16
"""At most this many framings: a brand's words are embedded once per template on every request."""


def check_templates(templates: Sequence[str], *, field: str = "templates") -> tuple[str, ...]:
    """``templates`` as a tuple, each a string with exactly one ``{}`` and no other braces; else ``ValueError``.

    >>> check_templates(["{}", "a post about {}"])
    ('{}', 'a post about {}')
    """
    if isinstance(templates, (str, bytes)) or not isinstance(templates, Sequence) or not templates:
        raise ValueError(f"{field}: expected a non-empty list of strings with one '{{}}' each, got {templates!r:.80}")
    if len(templates) > MAX_TEMPLATES:
        raise ValueError(f"{field}: at most {MAX_TEMPLATES} templates (each phrase is embedded once per template), "
                         f"got {len(templates)}")
    out = []
    for t in templates:
        if not isinstance(t, str):
            raise ValueError(f"{field}: each template must be a string, got {type(t).__name__}")
        if t.count("{}") != 1 or t.replace("{}", "").count("{") or t.count("}") != 1:
            raise ValueError(f"{field}: each template needs exactly one '{{}}' and no other braces, got {t!r}")
        out.append(t)
    return tuple(out)


def check_topic(topic: object, *, field: str = "topic", allow_other: bool = True) -> str:
    """Return ``topic`` if it is a known topic id, else raise ``ValueError`` naming the field.

    >>> check_topic("fashion")
    'fashion'
    """
    allowed = TOPICS if allow_other else BRAND_TOPICS
    if not isinstance(topic, str):
        raise InputTypeError(f"{field}: expected a topic id string, got {type(topic).__name__}")
    if topic not in allowed:
        raise InputError(f"{field}: unknown topic id {topic!r}; expected one of {', '.join(allowed)}")
    return topic
