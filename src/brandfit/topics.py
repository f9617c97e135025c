"""The six topic ids and the written descriptions that tell the models what each topic means.

The ids are fixed across the project and its API. The descriptions are used as extra features
(cosine similarity of a text to each description) so the topic model knows each topic beyond our
own labeled examples, and by the zero-shot baseline.
"""

from __future__ import annotations

from typing import Final

__all__ = ["TOPICS", "BRAND_TOPICS", "TOPIC_DESCRIPTIONS", "check_topic"]

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
        "cycling, road bikes and mountain biking",
        "hiking, camping, backpacking and climbing gear",
        "skiing, snowboarding, surfing and paddling",
        "team sports: football, soccer, basketball, cricket, tennis, badminton",
        "a tent, a rucksack, a bike helmet, hiking boots",
    ),
    "fashion": (
        "fashion, clothing and outfits",
        "shoes, sneakers, boots and heels",
        "streetwear, vintage and thrifted clothes",
        "handbags, jewellery, watches and sunglasses",
        "outfit of the day, style tips and what I wore",
        "a dress, a jacket, jeans, a leather handbag",
    ),
    "fitness": (
        "fitness, workouts and the gym",
        "strength training, weightlifting and home workouts",
        "yoga, pilates and mobility",
        "nutrition, protein, meal prep and healthy eating",
        "wellness, sleep, recovery and mental health",
        "dumbbells, a yoga mat, whey protein, a treadmill",
    ),
    "beauty": (
        "beauty, makeup and cosmetics",
        "skincare routine, serums, moisturiser and sunscreen",
        "haircare, hairstyles and hair colour",
        "nails, manicure and nail art",
        "fragrance and perfume",
        "lipstick, foundation, mascara, eyeshadow palette",
    ),
    "electronics": (
        "consumer electronics and gadgets",
        "smartphones, laptops and tablets",
        "headphones, earbuds and speakers",
        "cameras, lenses and drones",
        "televisions, smart home devices and smartwatches",
        "gaming consoles, PC hardware, keyboards and monitors",
    ),
    "other": (
        "everyday life, family, friends and feelings",
        "food, cooking, restaurants and recipes",
        "travel, holidays and places to visit",
        "news, politics, history and science",
        "money, jobs, school, pets, home and relationships",
        "movies, books, music, jokes and games",
    ),
}


def check_topic(topic: object, *, field: str = "topic", allow_other: bool = True) -> str:
    """Return ``topic`` if it is a known topic id, else raise ``ValueError`` naming the field.

    >>> check_topic("fashion")
    'fashion'
    """
    allowed = TOPICS if allow_other else BRAND_TOPICS
    if not isinstance(topic, str):
        raise TypeError(f"{field}: expected a topic id string, got {type(topic).__name__}")
    if topic not in allowed:
        raise ValueError(f"{field}: unknown topic id {topic!r}; expected one of {', '.join(allowed)}")
    return topic
