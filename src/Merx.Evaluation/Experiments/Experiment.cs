using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Merx.Evaluation.Experiments;

/// <summary>One arm of an experiment: its name and the share of users (0, 1] it receives.</summary>
public sealed record Variant(string Name, double Share);

/// <summary>
/// An A/B(/n) experiment definition: an id and two or more variants whose traffic shares sum to 1;
/// the first variant is the control every other one is compared with. Assignment is a pure
/// function of (experiment id, user id): SHA-256 of the UTF-8 text "id\nuser", its first 8 bytes
/// read big-endian, top 53 bits scaled to [0, 1), then the variant whose cumulative share interval
/// holds that point. So a user keeps their variant across processes, machines and restarts, and
/// different experiments split users independently. Immutable and thread-safe.
/// </summary>
public sealed class Experiment
{
    private readonly double[] _upper; // (V,) cumulative shares, last forced to 1

    /// <exception cref="ArgumentException">Empty id, fewer than two variants, empty or repeated names, a share outside (0, 1], or shares not summing to 1 (±1e-9).</exception>
    public Experiment(string id, IReadOnlyList<Variant> variants)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new ArgumentException("an experiment needs a non-empty id", nameof(id));
        if (variants is null || variants.Count < 2) throw new ArgumentException($"experiment '{id}' needs at least two variants", nameof(variants));
        if (variants.Any(v => string.IsNullOrWhiteSpace(v.Name))) throw new ArgumentException($"experiment '{id}': every variant needs a name", nameof(variants));
        if (variants.Select(v => v.Name).Distinct(StringComparer.Ordinal).Count() != variants.Count) throw new ArgumentException($"experiment '{id}': variant names must be unique", nameof(variants));
        if (variants.FirstOrDefault(v => !(v.Share > 0 && v.Share <= 1)) is { } bad) throw new ArgumentException($"experiment '{id}': variant '{bad.Name}' has share {bad.Share}; shares must be in (0, 1]", nameof(variants));
        var sum = variants.Sum(v => v.Share);
        if (Math.Abs(sum - 1) > 1e-9) throw new ArgumentException($"experiment '{id}': variant shares sum to {sum:R}, not 1", nameof(variants));
        Id = id;
        Variants = variants.ToArray();
        _upper = new double[variants.Count];
        var acc = 0.0;
        for (var v = 0; v < variants.Count; v++) _upper[v] = acc += variants[v].Share;
        _upper[^1] = 1;
    }

    public string Id { get; }
    public IReadOnlyList<Variant> Variants { get; }
    public Variant Control => Variants[0];

    /// <summary>An experiment with equal shares for the named variants (the first is the control).</summary>
    public static Experiment Even(string id, params string[] names) => new(id, names.Select(n => new Variant(n, 1.0 / names.Length)).ToArray());

    /// <summary>The user's stable point in [0, 1) for this experiment.</summary>
    public double Bucket(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var count = Encoding.UTF8.GetByteCount(Id) + 1 + Encoding.UTF8.GetByteCount(userId);
        var text = count <= 512 ? stackalloc byte[count] : new byte[count];
        var n = Encoding.UTF8.GetBytes(Id, text);
        text[n++] = (byte)'\n';
        Encoding.UTF8.GetBytes(userId, text[n..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(text, hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Index into <see cref="Variants"/> of the user's variant.</summary>
    public int AssignIndex(string userId)
    {
        var b = Bucket(userId);
        for (var v = 0; v < _upper.Length - 1; v++) if (b < _upper[v]) return v;
        return _upper.Length - 1;
    }

    /// <summary>The user's variant (always the same for the same experiment id and user id).</summary>
    public Variant Assign(string userId) => Variants[AssignIndex(userId)];

    /// <summary>Index of the variant called <paramref name="name"/>.</summary>
    public int IndexOf(string name)
    {
        for (var v = 0; v < Variants.Count; v++) if (Variants[v].Name == name) return v;
        throw new ArgumentException($"experiment '{Id}' has no variant '{name}'", nameof(name));
    }
}
