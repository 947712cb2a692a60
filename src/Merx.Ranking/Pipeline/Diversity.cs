namespace Merx.Ranking.Pipeline;

/// <summary>
/// Maximal marginal relevance (Carbonell & Goldstein 1998): picks items one at a time maximising
/// λ·relevance − (1−λ)·(highest similarity to an item already picked), with similarity from the
/// catalog (same leaf category 0.7, same top category 0.3, same brand 0.3, capped at 1).
/// </summary>
public static class Diversity
{
    public static float Similarity(CatalogIndex cat, int a, int b)
    {
        var s = 0f;
        if (cat.Category(a) >= 0 && cat.Category(a) == cat.Category(b)) s += 0.7f;
        else if (cat.TopCategory(a) >= 0 && cat.TopCategory(a) == cat.TopCategory(b)) s += 0.3f;
        if (cat.Brand(a) >= 0 && cat.Brand(a) == cat.Brand(b)) s += 0.3f;
        return Math.Min(1f, s);
    }

    /// <param name="ranked">Candidates best first; scores are relevance (normalised here to [0, 1]).</param>
    public static List<RankedItem> Mmr(CatalogIndex cat, IReadOnlyList<RankedItem> ranked, int n, float lambda)
    {
        if (ranked.Count == 0 || n == 0) return [];
        var max = ranked.Max(r => r.Score);
        var min = ranked.Min(r => r.Score);
        var span = max - min > 1e-12f ? max - min : 1f;
        var pool = ranked.ToList();
        var picked = new List<RankedItem>(n);
        var maxSim = new float[pool.Count];
        var taken = new bool[pool.Count];
        while (picked.Count < n && picked.Count < pool.Count)
        {
            var best = -1; var bestValue = float.NegativeInfinity;
            for (var i = 0; i < pool.Count; i++)
            {
                if (taken[i]) continue;
                var value = lambda * (pool[i].Score - min) / span - (1 - lambda) * maxSim[i];
                if (value > bestValue) { bestValue = value; best = i; }
            }
            taken[best] = true;
            picked.Add(pool[best]);
            for (var i = 0; i < pool.Count; i++)
                if (!taken[i]) maxSim[i] = Math.Max(maxSim[i], Similarity(cat, pool[i].Item, pool[best].Item));
        }
        return picked;
    }

    /// <summary>Intra-list diversity: mean pairwise 1 − similarity.</summary>
    public static double IntraListDiversity(CatalogIndex cat, IReadOnlyList<int> items)
    {
        if (items.Count < 2) return 0;
        double sum = 0; var pairs = 0;
        for (var i = 0; i < items.Count; i++)
            for (var j = i + 1; j < items.Count; j++, pairs++) sum += 1 - Similarity(cat, items[i], items[j]);
        return sum / pairs;
    }
}
