namespace Merx.Core.Domain;

/// <summary>What a user did with an item. Stored as one byte; the wire names are snake_case.</summary>
public enum EventKind : byte
{
    View = 0,
    Click = 1,
    AddToCart = 2,
    Purchase = 3,
    Rating = 4,
    Favorite = 5,
    Search = 6,
    Impression = 7,
}

public static class EventKinds
{
    public const int Count = 8;

    public static IReadOnlyList<EventKind> All { get; } = Enum.GetValues<EventKind>();

    /// <summary>The wire name: view, click, add_to_cart, purchase, rating, favorite, search, impression.</summary>
    public static string ToWireName(this EventKind kind) => kind switch
    {
        EventKind.View => "view",
        EventKind.Click => "click",
        EventKind.AddToCart => "add_to_cart",
        EventKind.Purchase => "purchase",
        EventKind.Rating => "rating",
        EventKind.Favorite => "favorite",
        EventKind.Search => "search",
        EventKind.Impression => "impression",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown event kind"),
    };

    /// <summary>Parses a wire name or a common alias (pv, cart, buy, fav, order, like). Case-insensitive.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out EventKind kind)
    {
        Span<char> lower = stackalloc char[Math.Min(text.Length, 32)];
        if (text.Length > 32) { kind = default; return false; }
        text.Trim().ToLowerInvariant(lower);
        var s = lower[..text.Trim().Length];
        kind = s switch
        {
            "view" or "pv" or "page_view" or "detail" or "detail_view" => EventKind.View,
            "click" => EventKind.Click,
            "add_to_cart" or "cart" or "addtocart" or "add-to-cart" => EventKind.AddToCart,
            "purchase" or "buy" or "order" or "transaction" => EventKind.Purchase,
            "rating" or "rate" => EventKind.Rating,
            "favorite" or "fav" or "favourite" or "like" or "wishlist" => EventKind.Favorite,
            "search" => EventKind.Search,
            "impression" => EventKind.Impression,
            _ => (EventKind)255,
        };
        return (byte)kind != 255;
    }

    public static EventKind Parse(string text) =>
        TryParse(text, out var kind) ? kind : throw new FormatException($"unknown event kind '{text}' (expected one of: {string.Join(", ", All.Select(k => k.ToWireName()))})");
}
