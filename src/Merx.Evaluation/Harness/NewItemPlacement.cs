using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Evaluation.Metrics;
using Merx.Ranking.Pipeline;

namespace Merx.Evaluation.Harness;

/// <summary>
/// How well serving's new-item source (<see cref="NewItemSource"/>) places items nobody has interacted with (issue
/// #19), on the cold-item split of <c>merx evaluate --cold-items</c>: a seeded fraction of the test targets is
/// hidden from training, and the hidden items are the new items. For each test case whose target was hidden, the
/// source ranks them for the user's input history, with the seen items excluded. It does so with attributes
/// only, and with attributes and text vectors. The figures are NDCG@10 and HR@10 of the target, with bootstrap
/// 95 % intervals over the cases, and the share of cases where the source proposes the target at all. The
/// candidates are the new items, not the whole catalog as in <c>evaluate</c>, so these figures do not compare with
/// that command's.
/// </summary>
public static class NewItemPlacement
{
    public sealed record Score(double Ndcg10, Interval NdcgCi, double Hr10, Interval HrCi, double Proposed);

    public sealed record Result(int Cases, int NewItems, int CatalogItems, bool TextUsed, Score Attributes, Score? WithText);

    public static Result Run(Split coldSplit, IReadOnlyList<string> ids, IReadOnlyList<Item?> catalog, PretrainedVectors? text, int seed, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(coldSplit);
        if (coldSplit.Test.Count == 0) throw new ArgumentException("the split has no test case with a hidden target (is it a cold-item split?)", nameof(coldSplit));
        var hidden = coldSplit.Test.SelectMany(c => c.Targets).ToHashSet();
        var index = new CatalogIndex(ids, catalog);
        // New = unknown to the model: exactly the hidden items (a cut-off at the end of time, so no creation date adds others).
        var plain = new NewItemSource(index, hidden.Contains, now: long.MaxValue, maxAgeDays: 0, maxItems: int.MaxValue);
        var withText = text is null ? null : new NewItemSource(index, hidden.Contains, now: long.MaxValue, maxAgeDays: 0, maxItems: int.MaxValue, text: () => text);
        progress?.Report($"new-item placement: {coldSplit.Test.Count:N0} cold test cases, {plain.Count:N0} new items of {ids.Count:N0}; text {(withText?.UsesText == true ? "used" : "not available")}");
        var attributes = Measure(plain, index, coldSplit.Test, seed);
        var textScore = withText is { UsesText: true } ? Measure(withText, index, coldSplit.Test, seed) : null;
        return new Result(coldSplit.Test.Count, plain.Count, ids.Count, textScore is not null, attributes, textScore);
    }

    private static Score Measure(NewItemSource source, CatalogIndex catalog, IReadOnlyList<EvalCase> cases, int seed)
    {
        var ndcg = new double[cases.Count];
        var hr = new double[cases.Count];
        var proposed = 0;
        for (var c = 0; c < cases.Count; c++)
        {
            var input = cases[c].Input;
            // The pipeline's recent items: deduplicated, each at its latest occurrence, oldest first.
            var seen = new HashSet<int>();
            var recent = new List<int>();
            for (var i = input.Length - 1; i >= 0; i--) if (seen.Add(input[i])) recent.Add(input[i]);
            recent.Reverse();
            var context = new CandidateContext(new RankingRequest { UserKey = "u" + cases[c].User, Now = 0 }, catalog, recent.ToArray(), [], item => !seen.Contains(item));
            var ranked = source.Propose(context, source.Count);
            var target = cases[c].Targets[0];
            var rank = -1;
            for (var r = 0; r < ranked.Count; r++) if (ranked[r].Item == target) { rank = r; break; }
            if (rank >= 0) proposed++;
            ndcg[c] = rank is >= 0 and < 10 ? 1.0 / Math.Log2(rank + 2) : 0;
            hr[c] = rank is >= 0 and < 10 ? 1 : 0;
        }
        var ci = Bootstrap.MeanIntervals(["ndcg", "hr"], [ndcg, hr], 1000, seed).ToDictionary(p => p.Name, p => p.Ci);
        return new Score(Bootstrap.Mean(ndcg), ci["ndcg"], Bootstrap.Mean(hr), ci["hr"], (double)proposed / cases.Count);
    }
}
