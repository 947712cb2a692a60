using Merx.Core.Domain;

namespace Merx.Ranking.Pipeline;

/// <summary>
/// Calibrated recommendations (Steck 2018, "Calibrated recommendations", RecSys): a list is
/// calibrated when its category distribution q(g) matches the category distribution p(g) of the
/// user's history. Each item spreads weight 1 evenly over its categories, p(g|i) = 1/|G(i)|;
/// p and q average p(g|i) over the history and over the list. Miscalibration is
/// KL(p ‖ q̃) = Σ_g p(g) log(p(g)/q̃(g)) with q̃ = (1 − α)q + αp (α = 0.01, Steck's choice), finite
/// even when the list misses a category of the history. The same distributions feed the greedy
/// calibrated re-ranker, so the metric and the correction cannot disagree about what they measure.
/// </summary>
public static class Calibration
{
    /// <summary>Steck's smoothing of q toward p.</summary>
    public const double Alpha = 0.01;

    /// <summary>
    /// The categories each catalog item counts toward: all its tags when they include its leaf category
    /// (MovieLens: the genres are the tags and the first genre is the category, so a film counts
    /// toward every genre, as in Steck's experiments); otherwise its leaf category alone (Taobao, a
    /// shop's category tree); none when it has no category (Amazon's anonymous tags are not
    /// categories). Returns the ids per item (aligned with <paramref name="catalog"/>) and the names.
    /// </summary>
    public static (int[][] Categories, string[] Names) Categories(IReadOnlyList<Item?> catalog)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var perItem = new int[catalog.Count][];
        for (var i = 0; i < catalog.Count; i++)
        {
            var item = catalog[i];
            perItem[i] = item?.Category is not { } leaf ? []
                : item.Tags.Contains(leaf, StringComparer.Ordinal) ? item.Tags.Distinct(StringComparer.Ordinal).Select(Id).ToArray()
                : [Id(leaf)];
        }
        return (perItem, ids.OrderBy(p => p.Value).Select(p => p.Key).ToArray());

        int Id(string name)
        {
            if (!ids.TryGetValue(name, out var id)) ids[name] = id = ids.Count;
            return id;
        }
    }

    /// <summary>
    /// Category distribution of <paramref name="items"/>: length <paramref name="categoryCount"/>,
    /// summing to 1, or all zeros when no item has a category. <paramref name="categories"/>[i] lists
    /// item i's category ids (distinct); items out of range or without categories are skipped.
    /// </summary>
    public static double[] Distribution(ReadOnlySpan<int> items, IReadOnlyList<int[]> categories, int categoryCount)
    {
        var p = new double[categoryCount];
        var counted = 0;
        foreach (var i in items)
        {
            if ((uint)i >= (uint)categories.Count || categories[i].Length == 0) continue;
            var w = 1.0 / categories[i].Length;
            foreach (var g in categories[i]) p[g] += w;
            counted++;
        }
        if (counted > 0) for (var g = 0; g < p.Length; g++) p[g] /= counted;
        return p;
    }

    /// <summary>KL(p ‖ (1 − α)q + αp) in nats; q may be unnormalised by <paramref name="qTotal"/> (q[g]/qTotal is used; qTotal 0 means an empty list, q̃ = αp).</summary>
    public static double Kl(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double qTotal = 1, double alpha = Alpha)
    {
        var kl = 0.0;
        for (var g = 0; g < p.Length; g++)
        {
            if (p[g] <= 0) continue;
            var qg = qTotal > 0 ? q[g] / qTotal : 0;
            kl += p[g] * Math.Log(p[g] / ((1 - alpha) * qg + alpha * p[g]));
        }
        return kl;
    }

    /// <summary>
    /// Steck's greedy calibrated re-ranking: builds the list one item at a time, each time adding the
    /// candidate that maximises (1 − λ)·Σ_{j ∈ list} s(j) − λ·KL(p ‖ q̃(list)). Scores are min–max
    /// normalised to [0, 1] over the candidates first (as <see cref="Diversity.Mmr"/> does), so one λ
    /// means the same trade-off for models whose raw scores differ in scale (popularity counts,
    /// EASE's regression weights). λ = 0 keeps the relevance order (ties by candidate order); a
    /// candidate without categories only adds relevance.
    /// </summary>
    /// <param name="candidates">Item ids, best first; <paramref name="scores"/> aligned with them.</param>
    /// <param name="target">The history's distribution p (from <see cref="Distribution"/>).</param>
    /// <param name="n">List length (at most the candidate count).</param>
    /// <returns>Indices into <paramref name="candidates"/> in the re-ranked order.</returns>
    public static int[] Rerank(ReadOnlySpan<int> candidates, ReadOnlySpan<float> scores, IReadOnlyList<int[]> categories, ReadOnlySpan<double> target, int n, double lambda)
    {
        if (scores.Length != candidates.Length) throw new ArgumentException("one score per candidate", nameof(scores));
        if (lambda is < 0 or > 1 || double.IsNaN(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must be in [0, 1]");
        n = Math.Min(n, candidates.Length);
        var relevance = Normalise(scores);
        var q = new double[target.Length];      // (G) unnormalised category mass of the list so far
        var trial = new double[target.Length];  // (G) scratch: q with one candidate added
        var taken = new bool[candidates.Length];
        var order = new int[n];
        double sumRelevance = 0, mass = 0;
        for (var slot = 0; slot < n; slot++)
        {
            var best = -1; var bestValue = double.NegativeInfinity;
            for (var c = 0; c < candidates.Length; c++)
            {
                if (taken[c]) continue;
                var item = candidates[c];
                var cats = (uint)item < (uint)categories.Count ? categories[item] : [];
                q.CopyTo(trial, 0);
                foreach (var g in cats) trial[g] += 1.0 / cats.Length;
                var kl = Kl(target, trial, mass + (cats.Length > 0 ? 1 : 0));
                var value = (1 - lambda) * (sumRelevance + relevance[c]) - lambda * kl;
                if (value > bestValue) { bestValue = value; best = c; }
            }
            taken[best] = true;
            order[slot] = best;
            sumRelevance += relevance[best];
            var picked = candidates[best];
            var pc = (uint)picked < (uint)categories.Count ? categories[picked] : [];
            foreach (var g in pc) q[g] += 1.0 / pc.Length;
            if (pc.Length > 0) mass++;
        }
        return order;
    }

    private static double[] Normalise(ReadOnlySpan<float> scores)
    {
        var r = new double[scores.Length];
        if (scores.Length == 0) return r;
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var s in scores) if (float.IsFinite(s)) { min = Math.Min(min, s); max = Math.Max(max, s); }
        var span = max - min > 1e-12 ? max - min : 1;
        for (var i = 0; i < scores.Length; i++) r[i] = float.IsFinite(scores[i]) ? (scores[i] - min) / span : 0;
        return r;
    }
}
