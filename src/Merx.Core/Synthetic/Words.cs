namespace Merx.Core.Synthetic;

/// <summary>Word lists the generated catalog is named from.</summary>
internal static class Words
{
    public static readonly string[] Roots =
    [
        "Beauty", "Electronics", "Home", "Sports", "Fashion", "Toys", "Garden", "Books",
        "Grocery", "Pets", "Automotive", "Office", "Health", "Music", "Baby", "Tools",
    ];

    public static readonly string[][] Nouns =
    [
        ["serum", "lipstick", "cream", "mascara", "cleanser", "perfume", "shampoo", "lotion", "toner", "palette"],
        ["headphones", "charger", "speaker", "camera", "tablet", "keyboard", "monitor", "router", "drone", "watch"],
        ["lamp", "pillow", "blanket", "mug", "vase", "curtain", "rug", "shelf", "candle", "clock"],
        ["ball", "racket", "mat", "bottle", "glove", "helmet", "bike", "tent", "rope", "shoes"],
        ["jacket", "dress", "shirt", "jeans", "scarf", "boots", "hat", "belt", "sweater", "skirt"],
        ["puzzle", "doll", "robot", "blocks", "car", "kite", "game", "plush", "train", "yo-yo"],
        ["hose", "shovel", "planter", "seeds", "gloves", "sprinkler", "pruner", "rake", "lantern", "bench"],
        ["novel", "cookbook", "atlas", "biography", "comic", "guide", "poetry", "thriller", "journal", "dictionary"],
        ["coffee", "tea", "pasta", "olive oil", "chocolate", "honey", "rice", "spices", "granola", "jam"],
        ["leash", "collar", "bowl", "bed", "toy", "treats", "brush", "carrier", "litter", "aquarium"],
        ["wiper", "mat", "charger", "polish", "jack", "mirror", "cover", "tyre", "bulb", "seat"],
        ["pen", "notebook", "stapler", "chair", "desk", "folder", "printer", "marker", "calendar", "lamp"],
        ["vitamins", "thermometer", "bandage", "scale", "massager", "mask", "inhaler", "brace", "tablets", "oil"],
        ["guitar", "strings", "drum", "microphone", "piano", "ukulele", "amp", "cable", "pedal", "violin"],
        ["stroller", "bottle", "diaper", "blanket", "rattle", "bib", "crib", "monitor", "carrier", "pacifier"],
        ["drill", "hammer", "saw", "wrench", "screwdriver", "level", "pliers", "sander", "tape", "ladder"],
    ];

    public static readonly string[] SubStyles = ["classic", "premium", "eco", "compact", "pro", "travel", "smart", "kids", "vintage", "sport", "urban", "home"];
    public static readonly string[] Adjectives = ["soft", "bright", "light", "durable", "elegant", "natural", "bold", "quiet", "fast", "gentle", "warm", "fresh", "sleek", "handmade", "organic", "waterproof"];
    public static readonly string[] Colors = ["black", "white", "red", "blue", "green", "grey", "pink", "gold", "silver", "beige"];
    public static readonly string[] Materials = ["cotton", "steel", "wood", "glass", "leather", "plastic", "bamboo", "ceramic", "wool", "aluminium"];
    public static readonly string[] Uses = ["everyday use", "gifts", "travel", "the weekend", "professionals", "beginners", "small spaces", "outdoor days"];
    public static readonly string[] Syllables = ["ka", "lo", "mi", "ra", "zen", "vo", "ta", "nu", "pe", "sol", "ix", "ar", "qu", "bel", "dor", "fin"];
    public static readonly string[] Regions = ["north", "south", "east", "west", "centre"];
    public static readonly string[] AgeBands = ["18-24", "25-34", "35-44", "45-54", "55+"];
}
