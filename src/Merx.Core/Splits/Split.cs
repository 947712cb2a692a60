using Merx.Core.Data;

namespace Merx.Core.Splits;

/// <summary>
/// A train/validation/test split. Models train on <see cref="Train"/>, select hyper-parameters
/// and early-stop on <see cref="Validation"/> only, and are reported on <see cref="Test"/>.
/// </summary>
public sealed record Split(string Protocol, UserSequences Train, IReadOnlyList<EvalCase> Validation, IReadOnlyList<EvalCase> Test)
{
    /// <summary>
    /// In the cold-item protocol (<see cref="Splitter.HideItems"/>), the test cases whose target was not hidden: the same
    /// fitted models are also reported on them, so what placing new items costs the other users shows beside it. Null elsewhere.
    /// </summary>
    public IReadOnlyList<EvalCase>? WarmTest { get; init; }

    /// <summary>
    /// The items that reach the catalog only after the training data: in the cold-item protocol its hidden items, elsewhere
    /// none. An offline data set's catalog is otherwise fixed, so every other item was on offer throughout the data
    /// (<see cref="Contracts.TrainingData.NewArrivals"/>).
    /// </summary>
    public IReadOnlySet<int> NewItems { get; init; } = NoItems;

    private static readonly IReadOnlySet<int> NoItems = new HashSet<int>();

    /// <summary>
    /// Whether <paramref name="other"/> holds the same training sequences (items, clocks and kinds, user by user) and the
    /// same validation and test cases, so a deterministic fit on either gives the same model. (The record's own equality
    /// compares references.)
    /// </summary>
    public bool SameDataAs(Split other)
    {
        var (x, y) = (Train, other.Train);
        return x.ItemCount == y.ItemCount && x.Offsets.AsSpan().SequenceEqual(y.Offsets) && x.Items.AsSpan().SequenceEqual(y.Items)
            && x.Timestamps.AsSpan().SequenceEqual(y.Timestamps) && x.Kinds.AsSpan().SequenceEqual(y.Kinds)
            && SameCases(Validation, other.Validation) && SameCases(Test, other.Test);

        static bool SameCases(IReadOnlyList<EvalCase> p, IReadOnlyList<EvalCase> q)
        {
            if (p.Count != q.Count) return false;
            for (var i = 0; i < p.Count; i++)
                if (p[i].User != q[i].User || !p[i].Input.AsSpan().SequenceEqual(q[i].Input) || !p[i].Targets.AsSpan().SequenceEqual(q[i].Targets)) return false;
            return true;
        }
    }
}
