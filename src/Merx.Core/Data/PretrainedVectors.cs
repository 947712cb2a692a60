namespace Merx.Core.Data;

/// <summary>
/// One vector per catalog item from a pre-trained encoder (text or image), aligned with item
/// indices: row i is item i's unit-length vector, or absent (zeros, <see cref="Has"/> false) when
/// the item carries nothing to encode. Models read these as side information; they never compute
/// them (encoding lives in Merx.Encoders, storage in the catalog store).
/// </summary>
public sealed class PretrainedVectors
{
    public PretrainedVectors(string encoderId, int dimension, float[] values, bool[] present)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(encoderId);
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), "dimension must be positive");
        if (values.Length != present.Length * dimension) throw new ArgumentException($"values must hold {present.Length} × {dimension} floats", nameof(values));
        EncoderId = encoderId; Dimension = dimension; Values = values; Present = present;
        PresentCount = present.Count(p => p);
    }

    /// <summary>The encoder the vectors came from ("all-MiniLM-L6-v2"): vectors of different encoders never mix.</summary>
    public string EncoderId { get; }
    public int Dimension { get; }
    /// <summary>(Items, Dimension) row-major; rows of absent items are zero.</summary>
    public float[] Values { get; }
    public bool[] Present { get; }
    public int ItemCount => Present.Length;
    public int PresentCount { get; }

    public bool Has(int item) => Present[item];
    public ReadOnlySpan<float> Of(int item) => Values.AsSpan(item * Dimension, Dimension);

    /// <summary>
    /// A user's taste as one vector: the sum of the rows of <paramref name="items"/> (newest last), the newest weighted 1
    /// and each older one <paramref name="decay"/> times the next; indices outside the rows, and with
    /// <paramref name="present"/> the items without a vector, add nothing. Returns the total weight of the rows added.
    /// </summary>
    public static float RecencyWeightedSum(ReadOnlySpan<float> rows, int dimension, ReadOnlySpan<int> items, float decay, Span<float> sum, ReadOnlySpan<bool> present = default)
    {
        var profile = sum[..dimension];
        profile.Clear();
        var count = rows.Length / dimension;
        float weight = 1f, total = 0f;
        for (var h = items.Length - 1; h >= 0; h--, weight *= decay)
        {
            if ((uint)items[h] >= (uint)count || (!present.IsEmpty && !present[items[h]])) continue;
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(rows.Slice(items[h] * dimension, dimension), weight, profile, profile);
            total += weight;
        }
        return total;
    }

    /// <summary>From per-item vectors (null where absent), each of length <paramref name="dimension"/>.</summary>
    public static PretrainedVectors FromRows(string encoderId, int dimension, IReadOnlyList<float[]?> rows)
    {
        var values = new float[rows.Count * dimension];
        var present = new bool[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is not { } row) continue;
            if (row.Length != dimension) throw new ArgumentException($"item {i}: vector has {row.Length} entries, expected {dimension}", nameof(rows));
            row.CopyTo(values, i * dimension);
            present[i] = true;
        }
        return new PretrainedVectors(encoderId, dimension, values, present);
    }

    /// <summary>
    /// Several encoders' vectors side by side (text ⊕ image): row i is the concatenation of each part's row i (zeros
    /// where a part has none), present when any part is; the id names the parts ("all-MiniLM-L6-v2+resnet18-imagenet").
    /// Parts that no item has are left out, so one part alone comes back unchanged.
    /// </summary>
    public static PretrainedVectors? Join(params PretrainedVectors?[] parts)
    {
        var used = parts.Where(p => p is { PresentCount: > 0 }).Select(p => p!).ToArray();
        if (used.Length == 0) return parts.FirstOrDefault(p => p is not null);
        if (used.Length == 1) return used[0];
        return Concat(used);
    }

    /// <summary>No vector for any of <paramref name="items"/> items (a part of <see cref="Concat"/> that no item has).</summary>
    public static PretrainedVectors None(string encoderId, int dimension, int items) => new(encoderId, dimension, new float[items * dimension], new bool[items]);

    /// <summary>
    /// Every part side by side, those no item has included (zeros), so the layout and id are the parts' whatever the
    /// items have: serving rebuilds the exact side information a model was trained on (<see cref="Join"/> drops empty parts).
    /// </summary>
    public static PretrainedVectors Concat(IReadOnlyList<PretrainedVectors> used)
    {
        if (used.Count == 0) throw new ArgumentException("nothing to concatenate", nameof(used));
        var items = used[0].ItemCount;
        if (used.Any(p => p.ItemCount != items)) throw new ArgumentException("the vectors to join cover different item counts", nameof(used));
        var dimension = used.Sum(p => p.Dimension);
        var values = new float[items * dimension];
        var present = new bool[items];
        for (var i = 0; i < items; i++)
        {
            var at = i * dimension;
            foreach (var p in used)
            {
                p.Of(i).CopyTo(values.AsSpan(at, p.Dimension));
                at += p.Dimension;
                present[i] |= p.Present[i];
            }
        }
        return new PretrainedVectors(string.Join("+", used.Select(p => p.EncoderId)), dimension, values, present);
    }
}
