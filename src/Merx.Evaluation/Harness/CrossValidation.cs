using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;

namespace Merx.Evaluation.Harness;

/// <summary>
/// User-fold cross-validation (strong generalization): users are dealt into <c>folds</c> seeded
/// groups; in fold f the models train on every other user's full sequence, and each held-out user
/// with at least 3 items becomes a query with user = −1 (the model must fold them in from the
/// history alone): validation predicts the second-last item from the ones before it, test the last
/// item from all before it.
/// </summary>
public static class CrossValidation
{
    public static IReadOnlyList<Split> UserFolds(UserSequences seq, int folds = 5, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var order = Enumerable.Range(0, seq.UserCount).ToArray();
        new Random(seed).Shuffle(order);
        var foldOf = new int[seq.UserCount];
        for (var r = 0; r < order.Length; r++) foldOf[order[r]] = r % folds;
        var splits = new List<Split>(folds);
        for (var f = 0; f < folds; f++)
        {
            var offsets = new int[seq.UserCount + 1];
            for (var u = 0; u < seq.UserCount; u++) offsets[u + 1] = offsets[u] + (foldOf[u] == f ? 0 : seq.LengthOf(u));
            var items = new int[offsets[^1]]; var times = new long[items.Length]; var kinds = new EventKind[items.Length];
            var val = new List<EvalCase>(); var test = new List<EvalCase>();
            for (var u = 0; u < seq.UserCount; u++)
            {
                if (foldOf[u] != f)
                {
                    seq.ItemsOf(u).CopyTo(items.AsSpan(offsets[u]));
                    seq.TimestampsOf(u).CopyTo(times.AsSpan(offsets[u]));
                    seq.KindsOf(u).CopyTo(kinds.AsSpan(offsets[u]));
                    continue;
                }
                var s = seq.ItemsOf(u);
                if (s.Length < 3) continue;
                val.Add(new EvalCase(-1, s[..^2].ToArray(), [s[^2]]));
                test.Add(new EvalCase(-1, s[..^1].ToArray(), [s[^1]]));
            }
            splits.Add(new Split($"user-fold{f + 1}of{folds}", new UserSequences(seq.ItemCount, offsets, items, times, kinds), val, test));
        }
        return splits;
    }
}
