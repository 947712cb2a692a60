using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Core.Splits;

/// <summary>The three deterministic split protocols.</summary>
public static class Splitter
{
    /// <summary>
    /// Leave-one-out (the SASRec protocol): for each user with at least 3 items the last is the test
    /// target and the second-last the validation target; training keeps the rest. The test input is
    /// the training part plus the validation item. Users with fewer than 3 items train only.
    /// </summary>
    public static Split LeaveOneOut(UserSequences seq)
    {
        var keep = new List<int>(seq.EventCount);
        var val = new List<EvalCase>(seq.UserCount);
        var test = new List<EvalCase>(seq.UserCount);
        for (var u = 0; u < seq.UserCount; u++)
        {
            var start = seq.Offsets[u];
            var n = seq.LengthOf(u);
            var trainLen = n >= 3 ? n - 2 : n;
            for (var i = 0; i < trainLen; i++) keep.Add(start + i);
            if (n < 3) continue;
            var items = seq.ItemsOf(u);
            val.Add(new EvalCase(u, items[..(n - 2)].ToArray(), [items[n - 2]]));
            test.Add(new EvalCase(u, items[..(n - 1)].ToArray(), [items[n - 1]]));
        }
        return new Split("loo", Subset(seq, keep), val, test);
    }

    /// <summary>
    /// Global temporal split: events after the <paramref name="testFraction"/> quantile of time are
    /// test, the <paramref name="validationFraction"/> before them validation. A user's query input
    /// is everything they did before the period; targets are the distinct items they touched in it.
    /// </summary>
    public static Split Temporal(UserSequences seq, double validationFraction = 0.1, double testFraction = 0.1)
    {
        CheckFractions(validationFraction, testFraction);
        var times = (long[])seq.Timestamps.Clone();
        Array.Sort(times);
        long Quantile(double q) => times.Length == 0 ? 0 : times[Math.Clamp((int)(q * times.Length), 0, times.Length - 1)];
        var tTest = Quantile(1 - testFraction);
        var tVal = Quantile(1 - testFraction - validationFraction);
        var keep = new List<int>(seq.EventCount);
        var val = new List<EvalCase>();
        var test = new List<EvalCase>();
        for (var u = 0; u < seq.UserCount; u++)
        {
            var start = seq.Offsets[u];
            var items = seq.ItemsOf(u); var ts = seq.TimestampsOf(u);
            var nTrain = 0; var nVal = 0;
            while (nTrain < items.Length && ts[nTrain] < tVal) nTrain++;
            while (nTrain + nVal < items.Length && ts[nTrain + nVal] < tTest) nVal++;
            for (var i = 0; i < nTrain; i++) keep.Add(start + i);
            AddCase(val, u, items[..nTrain], items.Slice(nTrain, nVal));
            AddCase(test, u, items[..(nTrain + nVal)], items[(nTrain + nVal)..]);
        }
        return new Split("temporal", Subset(seq, keep), val, test);
    }

    /// <summary>
    /// Random holdout: each interaction of each user goes to validation or test with the given
    /// probabilities (seeded), the rest to training; the query input is the user's training items.
    /// </summary>
    public static Split RandomHoldout(UserSequences seq, double validationFraction = 0.1, double testFraction = 0.1, int seed = 42)
    {
        CheckFractions(validationFraction, testFraction);
        var rng = new Random(seed);
        var keep = new List<int>(seq.EventCount);
        var val = new List<EvalCase>(); var test = new List<EvalCase>();
        var tr = new List<int>(); var va = new List<int>(); var te = new List<int>();
        for (var u = 0; u < seq.UserCount; u++)
        {
            tr.Clear(); va.Clear(); te.Clear();
            var start = seq.Offsets[u];
            var items = seq.ItemsOf(u);
            for (var i = 0; i < items.Length; i++)
            {
                var r = rng.NextDouble();
                if (r < testFraction) te.Add(items[i]);
                else if (r < testFraction + validationFraction) va.Add(items[i]);
                else { tr.Add(items[i]); keep.Add(start + i); }
            }
            AddCase(val, u, tr.ToArray(), va.ToArray());
            AddCase(test, u, tr.ToArray(), te.ToArray());
        }
        return new Split("random", Subset(seq, keep), val, test);
    }

    /// <summary>
    /// The cold-item protocol: a seeded <paramref name="fraction"/> of the items that are test
    /// targets is removed from every training sequence, validation keeps only cases whose target
    /// is still known, and test keeps only cases whose target was hidden — so the figure says how
    /// well a model places items it never saw an interaction with (from side information alone). The other test cases
    /// are kept apart as <see cref="Split.WarmTest"/>.
    /// </summary>
    public static Split HideItems(Split split, double fraction, int seed)
    {
        var rng = new Random(seed);
        var candidates = split.Test.SelectMany(c => c.Targets).Distinct().Order().ToArray();
        var hidden = candidates.Where(_ => rng.NextDouble() < fraction).ToHashSet();
        var train = split.Train;
        var keep = new List<int>(train.EventCount);
        for (var i = 0; i < train.EventCount; i++)
            if (!hidden.Contains(train.Items[i])) keep.Add(i);
        var test = split.Test.Where(c => c.Targets.All(hidden.Contains)).ToArray();
        var validation = split.Validation.Where(c => !c.Targets.Any(hidden.Contains)).ToArray();
        var warm = split.Test.Where(c => !c.Targets.Any(hidden.Contains)).ToArray();
        return new Split(split.Protocol + "+cold", Subset(train, keep), validation, test) { WarmTest = warm, NewItems = hidden };
    }

    /// <summary>
    /// The split with <paramref name="users"/> left out of training and validation (their sequences emptied, indices
    /// kept): what quarantining suspects from training does. Test cases are kept as they are.
    /// </summary>
    public static Split WithoutUsers(Split split, IReadOnlySet<int> users)
    {
        var train = split.Train;
        var keep = new List<int>(train.EventCount);
        for (var u = 0; u < train.UserCount; u++)
            if (!users.Contains(u))
                for (var i = train.Offsets[u]; i < train.Offsets[u + 1]; i++) keep.Add(i);
        return new Split(split.Protocol, Subset(train, keep), split.Validation.Where(c => !users.Contains(c.User)).ToArray(), split.Test) { WarmTest = split.WarmTest, NewItems = split.NewItems };
    }

    public static Split Create(string protocol, UserSequences seq, int seed = 42) => protocol switch
    {
        "loo" => LeaveOneOut(seq),
        "temporal" => Temporal(seq),
        "random" => RandomHoldout(seq, seed: seed),
        _ => throw new ArgumentException($"unknown split '{protocol}' (expected loo, temporal or random)", nameof(protocol)),
    };

    private static void AddCase(List<EvalCase> cases, int user, ReadOnlySpan<int> input, ReadOnlySpan<int> period)
    {
        if (input.Length == 0 || period.Length == 0) return;
        var seen = new HashSet<int>(input.ToArray());
        var targets = new List<int>();
        foreach (var item in period)
            if (!seen.Contains(item) && !targets.Contains(item)) targets.Add(item);
        if (targets.Count > 0) cases.Add(new EvalCase(user, input.ToArray(), targets.ToArray()));
    }

    private static void CheckFractions(double validationFraction, double testFraction)
    {
        if (validationFraction < 0 || testFraction <= 0 || validationFraction + testFraction >= 1)
            throw new ArgumentOutOfRangeException(nameof(testFraction), "need 0 <= validation, 0 < test, validation + test < 1");
    }

    private static UserSequences Subset(UserSequences seq, List<int> keep)
    {
        var offsets = new int[seq.UserCount + 1];
        var k = 0;
        var items = new int[keep.Count]; var ts = new long[keep.Count]; var kinds = new EventKind[keep.Count];
        for (var u = 0; u < seq.UserCount; u++)
        {
            while (k < keep.Count && keep[k] < seq.Offsets[u + 1])
            {
                var j = keep[k];
                items[k] = seq.Items[j]; ts[k] = seq.Timestamps[j]; kinds[k] = seq.Kinds[j];
                k++;
            }
            offsets[u + 1] = k;
        }
        return new UserSequences(seq.ItemCount, offsets, items, ts, kinds);
    }
}
