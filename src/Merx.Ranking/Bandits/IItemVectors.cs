using Merx.Core.Contracts;

namespace Merx.Ranking.Bandits;

/// <summary>
/// Item vectors read one row at a time, by the index the policy's candidates use. The linear
/// policies need vᵢ of each candidate; in serving the rows are the large model's, addressed by
/// catalog index through the snapshot's <see cref="Scoring.CatalogScorer"/> (no copy in catalog order).
/// </summary>
public interface IItemVectors
{
    /// <summary>Length d of a row.</summary>
    int Dimension { get; }

    /// <summary>
    /// (d) the vector of <paramref name="item"/>, or empty when there is none (an item the model never saw): the model's
    /// own row, or an int8 row dequantized into <paramref name="scratch"/> (d).
    /// </summary>
    ReadOnlySpan<float> Row(int item, Span<float> scratch);
}

/// <summary>The rows of an encoder's own <see cref="IUserEncoder.ItemVectors"/>, by its item index (the simulator, benchmarks, tests).</summary>
public sealed class EncoderRows(IUserEncoder encoder) : IItemVectors
{
    public int Dimension => encoder.Dimension;

    public ReadOnlySpan<float> Row(int item, Span<float> scratch)
    {
        var all = encoder.ItemVectors;
        return (uint)item < (uint)all.Count ? all.Row(item, scratch) : [];
    }

    /// <summary>The encoder's rows, or null for no encoder.</summary>
    public static IItemVectors? Of(IUserEncoder? encoder) => encoder is null ? null : new EncoderRows(encoder);
}

/// <summary>
/// The item vectors of whatever model is served now: a long-lived policy keeps its learned state
/// across model versions and reads the current snapshot's rows through this slot, which the host
/// points at each new snapshot's scorer. Before the first model every row is empty.
/// </summary>
public sealed class ItemVectorSlot(int dimension) : IItemVectors
{
    private volatile IItemVectors? _current;

    public int Dimension => dimension;

    /// <summary>Points the slot at a (new) model's rows; their dimension must match.</summary>
    public void Point(IItemVectors rows)
    {
        if (rows.Dimension != dimension) throw new ArgumentException($"the model's dimension {rows.Dimension} differs from the policy's {dimension}", nameof(rows));
        _current = rows;
    }

    public ReadOnlySpan<float> Row(int item, Span<float> scratch) => _current is { } rows ? rows.Row(item, scratch) : [];
}
