namespace Merx.Storage;

/// <summary>The checks every backend runs on a batch of item vectors before writing any of it.</summary>
public static class ItemVectorValidation
{
    /// <summary>The batch's vector length (0 for an empty batch). Throws ArgumentException naming the first bad entry.</summary>
    /// <param name="stored">The length of the vectors already stored for this encoder, if any.</param>
    public static int Check(string encoderId, IReadOnlyDictionary<string, float[]> vectors, int? stored)
    {
        var dim = 0;
        foreach (var (hash, v) in vectors)
        {
            if (string.IsNullOrWhiteSpace(hash)) throw new ArgumentException("an item vector has an empty content hash; nothing from this batch was written", nameof(vectors));
            if (v is null || v.Length == 0) throw new ArgumentException($"item vector {hash} is empty; nothing from this batch was written", nameof(vectors));
            if (dim == 0) dim = v.Length;
            if (v.Length != dim) throw new ArgumentException($"item vector {hash} has {v.Length} entries, the others {dim}; nothing from this batch was written", nameof(vectors));
            foreach (var f in v)
                if (!float.IsFinite(f)) throw new ArgumentException($"item vector {hash} has a non-finite entry; nothing from this batch was written", nameof(vectors));
        }
        if (dim != 0 && stored is { } s && s != dim)
            throw new ArgumentException($"{encoderId} vectors are stored with {s} entries, this batch has {dim}; nothing from this batch was written", nameof(vectors));
        return dim;
    }

    /// <summary>The longest content hash a link may name (the encoders write 32 hex digits).</summary>
    public const int MaxHashLength = 128;

    /// <summary>Checks a batch of item → image hash links before writing any (the items' existence is checked by the backend, in its transaction).</summary>
    public static void CheckImages(IReadOnlyDictionary<string, string> images)
    {
        foreach (var (item, hash) in images)
        {
            if (string.IsNullOrEmpty(item)) throw new ArgumentException("an image link has an empty item id; nothing from this batch was written", nameof(images));
            if (string.IsNullOrWhiteSpace(hash)) throw new ArgumentException($"the image link of item '{item}' has an empty content hash; nothing from this batch was written", nameof(images));
            if (hash.Length > MaxHashLength) throw new ArgumentException($"the image link of item '{item}' has a content hash longer than {MaxHashLength} characters; nothing from this batch was written", nameof(images));
        }
    }
}
