using System.Diagnostics;
using System.Security.Cryptography;
using Merx.Core.Data;

namespace Merx.Encoders;

/// <summary>
/// Turns the catalog's images into image vectors, encoding each distinct image (by the SHA-256 of its bytes and
/// the encoder) once, reusing vectors already stored for a hash. A hostile or damaged image costs only its own
/// item: it gets no vector and one line in <see cref="Result.Errors"/>; every other image is still encoded.
/// </summary>
public static class CatalogImageEncoding
{
    /// <summary>
    /// The item-aligned vectors, each item's image content hash (null: no image, or refused), the vectors this call
    /// computed (content hash → vector) for the caller to store, how many images were read, and one error per refused image.
    /// </summary>
    public sealed record Result(PretrainedVectors Vectors, IReadOnlyDictionary<string, float[]> Computed, int Reused, IReadOnlyList<(int Item, string Error)> Errors)
    {
        public IReadOnlyList<string?> Hashes { get; init; } = [];
        /// <summary>Images read (items with an image), whether encoded, reused or refused.</summary>
        public int Read { get; init; }
    }

    /// <summary>The content hash of an image for <paramref name="encoderId"/> (the same bytes give the same vector).</summary>
    public static string Hash(ReadOnlySpan<byte> image, string encoderId)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(encoderId + "\n"));
        sha.AppendData(image);
        return Convert.ToHexStringLower(sha.GetHashAndReset().AsSpan(0, 16));
    }

    /// <param name="images">Per item index: a function reading its image bytes (null: the item has no image). A read that throws is that item's error.</param>
    /// <param name="known">Vectors already computed, by content hash (may be empty).</param>
    public static Result Encode(ImageEncoder encoder, IReadOnlyList<Func<byte[]>?> images, IReadOnlyDictionary<string, float[]>? known = null,
        IProgress<string>? progress = null, CancellationToken cancellation = default)
    {
        known ??= new Dictionary<string, float[]>();
        var rows = new float[]?[images.Count];
        var hashes = new string?[images.Count];
        var computed = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var errors = new List<(int, string)>();
        var reused = 0;
        var clock = Stopwatch.StartNew();
        var lastReport = 0.0;
        var total = images.Count(i => i is not null);
        var done = 0;
        for (var i = 0; i < images.Count; i++)
        {
            if (images[i] is not { } read) continue;
            cancellation.ThrowIfCancellationRequested();
            done++;
            try
            {
                var bytes = read();
                var hash = Hash(bytes, encoder.Id);
                if (computed.TryGetValue(hash, out var v)) rows[i] = v;
                else if (known.TryGetValue(hash, out v) && v.Length == encoder.Dimension) { rows[i] = v; reused++; }
                else rows[i] = computed[hash] = encoder.Encode(bytes);
                hashes[i] = hash;
            }
            catch (Exception e) when (e is ImageRejectedException or IOException or UnauthorizedAccessException)
            {
                errors.Add((i, e.Message));
            }
            if (clock.Elapsed.TotalSeconds - lastReport >= 5 || done == total)
            {
                lastReport = clock.Elapsed.TotalSeconds;
                var rate = done / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                progress?.Report($"image vectors: {done:N0}/{total:N0} read, {computed.Count:N0} encoded, {errors.Count:N0} refused, {rate:F1} images/s");
            }
        }
        return new Result(PretrainedVectors.FromRows(encoder.Id, encoder.Dimension, rows), computed, reused, errors) { Hashes = hashes, Read = done };
    }
}
