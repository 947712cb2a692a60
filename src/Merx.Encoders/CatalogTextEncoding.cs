using System.Diagnostics;
using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Encoders;

/// <summary>
/// Turns a catalog into text vectors, encoding each distinct content (<see cref="ItemText.Hash"/>)
/// once: vectors already known for a hash (from the catalog store) are reused, and only new or
/// changed items go through the encoder, in batches, with progress lines for long runs.
/// </summary>
public static class CatalogTextEncoding
{
    public const int BatchSize = 32;

    /// <summary>The result: the item-aligned vectors, and the vectors this call computed (content hash → vector) for the caller to store.</summary>
    public sealed record Result(PretrainedVectors Vectors, IReadOnlyDictionary<string, float[]> Computed, int Reused);

    /// <param name="catalog">Items aligned with indices (null: unknown item, no vector).</param>
    /// <param name="known">Vectors already computed, by content hash (may be empty).</param>
    public static Result Encode(TextEncoder encoder, IReadOnlyList<Item?> catalog, IReadOnlyDictionary<string, float[]>? known = null,
        IProgress<string>? progress = null, CancellationToken cancellation = default)
    {
        known ??= new Dictionary<string, float[]>();
        var hashes = new string?[catalog.Count];
        var pending = new Dictionary<string, string>(StringComparer.Ordinal); // hash → text still to encode
        var reused = 0;
        for (var i = 0; i < catalog.Count; i++)
        {
            if (catalog[i] is not { } item || ItemText.Of(item) is not { } text) continue;
            var hash = hashes[i] = ItemText.Hash(text, encoder.Id);
            if (known.TryGetValue(hash, out var v) && v.Length == encoder.Dimension) reused++;
            else pending.TryAdd(hash, text);
        }
        var computed = new Dictionary<string, float[]>(pending.Count, StringComparer.Ordinal);
        var todo = pending.ToArray();
        var clock = Stopwatch.StartNew();
        var lastReport = 0.0;
        if (todo.Length > 0) progress?.Report($"text vectors: encoding {todo.Length:N0} item texts with {encoder.Id} ({reused:N0} reused)");
        for (var start = 0; start < todo.Length; start += BatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = todo.AsSpan(start, Math.Min(BatchSize, todo.Length - start)).ToArray();
            var vectors = encoder.Encode(batch.Select(p => p.Value).ToArray(), cancellation);
            for (var k = 0; k < batch.Length; k++) computed[batch[k].Key] = vectors[k];
            var done = start + batch.Length;
            if (clock.Elapsed.TotalSeconds - lastReport >= 5 || done == todo.Length)
            {
                lastReport = clock.Elapsed.TotalSeconds;
                var rate = done / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                progress?.Report($"text vectors: {done:N0}/{todo.Length:N0} encoded, {rate:F0} items/s, ETA {(todo.Length - done) / Math.Max(1e-9, rate):F0} s");
            }
        }
        var rows = new float[]?[catalog.Count];
        for (var i = 0; i < catalog.Count; i++)
            if (hashes[i] is { } h) rows[i] = computed.TryGetValue(h, out var v) ? v : known[h];
        return new Result(PretrainedVectors.FromRows(encoder.Id, encoder.Dimension, rows), computed, reused);
    }
}
