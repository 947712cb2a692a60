using Merx.Privacy.Anonymity;
using Merx.Privacy.Mechanisms;
using Microsoft.Extensions.Options;

namespace Merx.Service.Privacy;

/// <summary>
/// The gate every per-segment figure passes before the server answers with it (campaign audiences,
/// users by attribute): a segment of fewer than k distinct users is withheld (<see cref="KAnonymity"/>,
/// with secondary suppression for lists of segments), and, when configured, released sizes carry
/// Laplace noise of scale 1/ε (one user changes a distinct-user count by at most 1). Thread-safe.
/// </summary>
public sealed class SegmentRelease(IOptions<MerxServerOptions> options)
{
    private readonly Lock _gate = new();
    private readonly NoiseSource _noise = new CryptoNoiseSource();
    private readonly LaplaceMechanism? _laplace = options.Value.SizeNoiseEpsilon is { } e ? new LaplaceMechanism(e, 1) : null;

    public int K => options.Value.KAnonymity;

    /// <summary>A sentence for responses saying what was done, e.g. "k-anonymity k=10; sizes with Laplace noise, ε=1 per release".</summary>
    public string Describe() => $"segments of fewer than {K} users are withheld (k-anonymity)" + (_laplace is { } l ? $"; sizes carry Laplace noise (ε={l.Epsilon:G4} per release, scale {l.Scale:G4})" : "");

    /// <summary>True when a segment of <paramref name="users"/> distinct users may be described.</summary>
    public bool Releasable(long users) => users >= K;

    /// <summary>The size to publish for a releasable segment: exact, or noisy when noise is configured.</summary>
    public long Size(long users)
    {
        if (_laplace is null) return users;
        lock (_gate) return _laplace.ReleaseCount(users, _noise);
    }

    /// <summary>Segment → distinct users, filtered by k-anonymity (with secondary suppression) and noised; plus the report.</summary>
    public (Dictionary<string, long> Released, KAnonymityReport<string> Report) Segments(IReadOnlyDictionary<string, long> usersPerSegment)
    {
        var (released, report) = KAnonymity.Filter(usersPerSegment, K);
        foreach (var key in released.Keys.ToArray()) released[key] = Size(released[key]);
        return (released, report);
    }
}
