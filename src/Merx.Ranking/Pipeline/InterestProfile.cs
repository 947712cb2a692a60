using Merx.Core.Domain;

namespace Merx.Ranking.Pipeline;

/// <summary>A weighted interest (category, brand, price band …) with its share of the user's weighted activity.</summary>
public sealed record Interest(string Name, double Weight);

/// <summary>
/// What a user is interested in, from their events: each event weighs its kind's weight
/// (purchase &gt; cart &gt; view) times a recency decay (half-life <c>halfLifeDays</c>, counted back from the
/// user's latest event so a dormant user's interests still show); weights are
/// normalised to shares. Also activity (events by kind), recency and the typical price band.
/// </summary>
public sealed record InterestProfile(
    IReadOnlyList<Interest> Categories,
    IReadOnlyList<Interest> Brands,
    IReadOnlyList<Interest> Shops,
    IReadOnlyList<Interest> PriceBands,
    IReadOnlyDictionary<string, int> Activity,
    long? FirstSeen,
    long? LastSeen,
    double? DaysSinceLastEvent,
    int Events)
{
    /// <summary>Activity per platform the events came from (issue 22), most events first; events sent without one count under "unspecified". Set by the host, which knows the platforms.</summary>
    public IReadOnlyList<PlatformActivity> Platforms { get; init; } = [];

    /// <summary>How many ids of the same person the profile spans (the user and the ids linked to it).</summary>
    public int LinkedIds { get; init; } = 1;

    public static InterestProfile Build(CatalogIndex catalog, IReadOnlyList<HistoryEvent> history, long now, EventKindWeights? weights = null, double halfLifeDays = 30, int top = 5)
    {
        weights ??= EventKindWeights.Default;
        var categories = new Dictionary<string, double>();
        var brands = new Dictionary<string, double>();
        var shops = new Dictionary<string, double>();
        var bands = new Dictionary<string, double>();
        var activity = new Dictionary<string, int>();
        var latest = history.Count > 0 ? history.Max(e => e.Timestamp) : now;
        foreach (var e in history)
        {
            activity[e.Kind.ToWireName()] = activity.GetValueOrDefault(e.Kind.ToWireName()) + 1;
            if ((uint)e.Item >= (uint)catalog.Count) continue;
            var age = Math.Max(0, latest - e.Timestamp) / 86400.0;
            var w = Math.Max(0.05, weights[e.Kind]) * Math.Pow(0.5, age / halfLifeDays);
            if (catalog.Category(e.Item) is var c and >= 0) Add(categories, catalog.CategoryName(c), w);
            if (catalog.Brand(e.Item) is var b and >= 0) Add(brands, catalog.BrandName(b), w);
            if (catalog.Shop(e.Item) is var s and >= 0) Add(shops, catalog.ShopName(s), w);
            if (catalog.PriceBand(e.Item) is var p and >= 0) Add(bands, BandLabel(catalog, p), w);
        }
        long? first = history.Count > 0 ? history.Min(e => e.Timestamp) : null;
        long? last = history.Count > 0 ? history.Max(e => e.Timestamp) : null;
        return new InterestProfile(Top(categories, top), Top(brands, top), Top(shops, top), Top(bands, top), activity, first, last,
            last is { } l ? Math.Round(Math.Max(0, now - l) / 86400.0, 2) : null, history.Count);
    }

    private static void Add(Dictionary<string, double> d, string key, double w) => d[key] = d.GetValueOrDefault(key) + w;

    private static IReadOnlyList<Interest> Top(Dictionary<string, double> d, int top)
    {
        var total = d.Values.Sum();
        return total <= 0 ? [] : d.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(top)
            .Select(p => new Interest(p.Key, Math.Round(p.Value / total, 4))).ToArray();
    }

    /// <summary>"band 3 of 8 (12.50–19.99)": the price octile with its edges.</summary>
    public static string BandLabel(CatalogIndex catalog, int band)
    {
        var edges = catalog.PriceBandEdges;
        var lo = band == 0 ? 0 : edges[band - 1];
        var hi = band < edges.Length ? edges[band].ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "+";
        return $"band {band + 1} of {edges.Length + 1} ({lo.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}–{hi})";
    }
}

/// <summary>One platform's share of a user's activity: events, and the latest (unix seconds).</summary>
public sealed record PlatformActivity(string Platform, int Events, long LastSeen);
