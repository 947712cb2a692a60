using Merx.Core.Domain;

namespace Merx.Core.Synthetic;

/// <summary>
/// A synthetic shop: catalog, users and their behaviour, deterministic per seed. Users hold a few
/// interest categories (mostly within one department) and a favourite brand; interests drift from
/// session to session; within a category item popularity is Zipf-like; a session is a run of
/// related views with a view → add_to_cart → purchase funnel, some clicks, favourites and searches.
/// Events come out user by user, each user's in time order; memory grows with items and users,
/// never with events, so 1M items and 10M events stream in bounded memory.
/// </summary>
public sealed class ShopGenerator
{
    private readonly ShopCatalog _shop;
    private readonly double[] _leafCumulative;
    private readonly Dictionary<int, int[]> _leavesOfRoot;   // root → its leaves, in order
    private readonly long[] _budgets;

    public ShopGenerator(ShopGeneratorOptions options)
    {
        options.Validate();
        Options = options;
        _shop = new ShopCatalog(options);
        _leafCumulative = new double[_shop.LeafWeight.Length];
        _leavesOfRoot = Enumerable.Range(0, _shop.LeafRoot.Count).GroupBy(l => _shop.LeafRoot[l]).ToDictionary(g => g.Key, g => g.ToArray());
        var total = 0.0;
        for (var i = 0; i < _leafCumulative.Length; i++) _leafCumulative[i] = total += _shop.LeafWeight[i];
        _budgets = Budgets(options);
    }

    public ShopGeneratorOptions Options { get; }

    public IEnumerable<Item> Items() => _shop.Catalog;

    public IEnumerable<UserProfile> Users()
    {
        for (var u = 0; u < Options.Users; u++)
        {
            var rng = SplitMix.For(Options.Seed, u);
            var state = NewUser(ref rng);
            yield return new UserProfile
            {
                Id = UserId(u),
                Attributes = new Dictionary<string, string>
                {
                    ["age_band"] = Words.AgeBands[rng.Next(Words.AgeBands.Length)],
                    ["region"] = Words.Regions[rng.Next(Words.Regions.Length)],
                    ["segment"] = Words.Roots[_shop.LeafRoot[state.Interests[0]]].ToLowerInvariant(),
                },
            };
        }
    }

    /// <summary>Exactly <see cref="ShopGeneratorOptions.Events"/> events, user by user, each user's in time order.</summary>
    public IEnumerable<RawEvent> Events()
    {
        var buffer = new List<RawEvent>();
        for (var u = 0; u < Options.Users; u++)
        {
            buffer.Clear();
            var rng = SplitMix.For(Options.Seed, u);
            var state = NewUser(ref rng);
            rng = SplitMix.For(Options.Seed, Options.Users + (long)u);
            UserEvents(u, state, _budgets[u], ref rng, buffer);
            foreach (var e in buffer) yield return e;
        }
    }

    public static string UserId(int u) => "u" + u;

    private sealed record UserState(List<int> Interests, int FavouriteBrand);

    private UserState NewUser(ref SplitMix rng)
    {
        var first = SampleLeaf(ref rng);
        var interests = new List<int> { first };
        var extra = 1 + rng.Next(3);
        for (var k = 0; k < extra; k++) interests.Add(rng.Chance(0.7) ? NeighbourLeaf(first, ref rng) : SampleLeaf(ref rng));
        return new UserState(interests, _shop.ItemBrand[_shop.SampleItem(first, ref rng, long.MaxValue)]);
    }

    private void UserEvents(int u, UserState s, long budget, ref SplitMix rng, List<RawEvent> output)
    {
        var o = Options;
        var period = o.Days * 86_400.0;
        var expectedSessions = Math.Max(1.0, budget / 6.0);
        var t = o.StartTime + (long)(rng.NextDouble() * period * 0.3);
        var user = UserId(u);
        var session = 0;
        while (output.Count < budget)
        {
            if (rng.Chance(o.InterestDrift)) s.Interests[rng.Next(s.Interests.Count)] = rng.Chance(0.5) ? NeighbourLeaf(s.Interests[0], ref rng) : SampleLeaf(ref rng);
            var leaf = s.Interests[Math.Min(s.Interests.Count - 1, (int)(rng.NextDouble() * rng.NextDouble() * s.Interests.Count))];
            var sessionId = "s" + session++;
            var length = 1 + (int)rng.NextExponential(5);
            if (rng.Chance(0.12) && output.Count < budget)
                output.Add(new RawEvent(user, null, EventKind.Search, t, 0, sessionId, _shop.LeafPaths[leaf][2].ToLowerInvariant()));
            for (var step = 0; step < length && output.Count < budget; step++)
            {
                t += 20 + rng.Next(160);
                var r = rng.NextDouble();
                var here = r < 0.8 ? leaf : r < 0.95 ? s.Interests[rng.Next(s.Interests.Count)] : NeighbourLeaf(leaf, ref rng);
                var item = _shop.SampleItem(here, ref rng, t);
                if (_shop.ItemBrand[item] != s.FavouriteBrand && rng.Chance(0.3))
                {
                    var other = _shop.SampleItem(here, ref rng, t);
                    if (_shop.ItemBrand[other] == s.FavouriteBrand) item = other;
                }
                output.Add(new RawEvent(user, _shop.Catalog[item].Id, rng.Chance(0.1) ? EventKind.Click : EventKind.View, t, 0, sessionId));
                if (rng.Chance(0.03) && output.Count < budget)
                    output.Add(new RawEvent(user, _shop.Catalog[item].Id, EventKind.Favorite, t + 5, 0, sessionId));
                if (rng.Chance(0.12) && output.Count < budget && _shop.Catalog[item].InStock)
                {
                    t += 10 + rng.Next(60);
                    output.Add(new RawEvent(user, _shop.Catalog[item].Id, EventKind.AddToCart, t, 1, sessionId));
                    if (rng.Chance(0.45) && output.Count < budget)
                    {
                        t += 30 + rng.Next(300);
                        output.Add(new RawEvent(user, _shop.Catalog[item].Id, EventKind.Purchase, t, (float)(_shop.Catalog[item].Price ?? 0), sessionId));
                    }
                }
            }
            t += o.SessionGapSeconds + 60 + (long)rng.NextExponential(period / expectedSessions);
        }
    }

    private int SampleLeaf(ref SplitMix rng)
    {
        var k = Array.BinarySearch(_leafCumulative, rng.NextDouble() * _leafCumulative[^1]);
        return Math.Min(k < 0 ? ~k : k, _leafCumulative.Length - 1);
    }

    /// <summary>Another leaf of the same top-level category.</summary>
    private int NeighbourLeaf(int leaf, ref SplitMix rng)
    {
        var siblings = _leavesOfRoot[_shop.LeafRoot[leaf]];
        return siblings[rng.Next(siblings.Length)];
    }

    /// <summary>
    /// Events per user: heavy-tailed (log-normal) activity, at least 3 each when the total allows,
    /// summing exactly to the requested total (cumulative rounding).
    /// </summary>
    private static long[] Budgets(ShopGeneratorOptions o)
    {
        var rng = SplitMix.For(o.Seed, -2);
        var weights = new double[o.Users];
        var total = 0.0;
        for (var u = 0; u < o.Users; u++) total += weights[u] = Math.Exp(1.1 * rng.NextGaussian());
        var floor = o.Events >= 3L * o.Users ? 3 : 0;
        var rest = o.Events - (long)floor * o.Users;
        var budgets = new long[o.Users];
        var cumulative = 0.0;
        long assigned = 0;
        for (var u = 0; u < o.Users; u++)
        {
            cumulative += weights[u];
            var upTo = u == o.Users - 1 ? rest : (long)Math.Floor(cumulative / total * rest);
            budgets[u] = floor + upTo - assigned;
            assigned = upTo;
        }
        return budgets;
    }
}
